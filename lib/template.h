/*
 * template.h - the one template language of macscan, for mail and web: a
 * subset of Mustache that renders a JSON context (jansson) into a buffer.
 *
 *   {{name}}            the value of name (string, integer, real, true),
 *                       HTML-escaped with TMPL_HTML; in text, control
 *                       characters become spaces (lib/mime: mime_clean)
 *   {{#name}}...{{/name}}  the block once per element of an array (the
 *                       element, an object, is looked up first), once if
 *                       name is true, a non-empty string or a number,
 *                       not at all if absent, false, null, "" or []
 *   {{^name}}...{{/name}}  the block if the above would render nothing
 *   {{> name}}          the partial name: a template of its own, taken
 *                       from the partials object, rendered here with the
 *                       same context and escaping (its own text is
 *                       markup, as trusted as the template's)
 *   {{! comment }}      nothing
 *
 * Names are [A-Za-z0-9_-], at most 64 bytes. A section, inverted or
 * comment tag alone on its line takes the line with it (a partial does
 * not: it is text, and its line ends where the template says).
 * Unknown names render as nothing; an unknown partial is an error.
 * There is no unescaped form: what comes from a context is always
 * escaped for the medium.
 *
 * Translated strings live apart from the markup as partials: one
 * template per medium and a partials object per language (share/mail/
 * strings.LANG.json), so a sentence with a value in its middle ("{{free}}
 * libres" / "{{free}} free") is one partial and the markup is written
 * once.
 *
 * Errors name the template and the line: "alert.html:12: unclosed
 * section 'disks'". Templates are at most TMPL_MAX bytes of UTF-8
 * without NUL, sections nest at most TMPL_DEPTH deep and partials at
 * most TMPL_PARTIAL_DEPTH deep (a partial naming itself is an error, not
 * a loop).
 *
 * Ownership: the caller owns the buffer appended to and every JSON value
 * (all borrowed).
 */
#ifndef MACSCAN_TEMPLATE_H
#define MACSCAN_TEMPLATE_H

#include <jansson.h>
#include <stddef.h>

#include "util.h"

#define TMPL_MAX (1u << 20)		/* bytes of a template */
#define TMPL_DEPTH 16			/* nested sections */
#define TMPL_PARTIAL_DEPTH 8		/* nested partials */
#define TMPL_NAME_MAX 64		/* bytes of a tag name */

enum {
	TMPL_TEXT = 0,		/* plain text: controls become spaces */
	TMPL_HTML = 1,		/* HTML text and attribute values */
	TMPL_MARKUP = 2		/* or'ed in: the partials are markup
				 * rendered already (the dashboard's rows),
				 * inserted as they are and never parsed,
				 * so "{{" in a Mac's name stays text */
};

/*
 * Render the template tmpl (len bytes, called name in messages) with the
 * context ctx (an object) and partials (an object of strings, or NULL)
 * in mode TMPL_TEXT or TMPL_HTML. The whole template is checked first: 0
 * and the result appended to out, or -1 and e (out may then hold part of
 * the result).
 */
int template_render(struct ms_buf *out, const char *tmpl, size_t len,
    const char *name, const json_t *ctx, const json_t *partials, int mode,
    struct ms_err *e);

/*
 * Render the partial key of partials on its own (a translated string
 * with values in it): as template_render, named "name/key". A missing
 * key is an error.
 */
int template_render_partial(struct ms_buf *out, const json_t *partials,
    const char *key, const char *name, const json_t *ctx, int mode,
    struct ms_err *e);

/*
 * Check a template without rendering it, and every partial it names
 * (when partials is not NULL: then a partial missing from it is an
 * error; with NULL, partial tags are only checked for their syntax).
 * 0, or -1 and e.
 */
int template_check(const char *tmpl, size_t len, const char *name,
    const json_t *partials, struct ms_err *e);

#endif
