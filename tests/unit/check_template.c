/*
 * check_template.c - lib/template: variables, sections, inverted
 * sections, comments, escaping per medium, partials, the errors with
 * their lines, and the built-in mail templates with both languages'
 * words (every partial they name exists, in French and in English, and
 * the two files hold the same keys).
 */
#include <stdlib.h>
#include <string.h>

#include "embed.h"
#include "template.h"
#include "unit.h"

static char *
render_p(const char *t, const json_t *ctx, const json_t *partials,
    int mode, struct ms_err *e)
{
	struct ms_buf b = { 0 };

	if (template_render(&b, t, strlen(t), "t", ctx, partials, mode,
	    e) == -1) {
		ms_buf_free(&b);
		return NULL;
	}
	if (b.data == NULL)
		return strdup("");
	return ms_buf_steal(&b, NULL);
}

static char *
render(const char *t, const json_t *ctx, int html, struct ms_err *e)
{
	return render_p(t, ctx, NULL, html ? TMPL_HTML : TMPL_TEXT, e);
}

START_TEST(templates)
{
	struct ms_err e;
	json_t *ctx;
	char *s;

	ctx = json_pack("{s:s,s:[{s:s},{s:s}],s:[],s:b,s:i,s:s}", "name",
	    "<b>&\"'", "list", "n", "a", "n", "b<", "empty", "yes", 1,
	    "num", 42, "ctl", "a\r\nb");
	s = render("x{{name}}y", ctx, 1, &e);
	ck_assert_str_eq(s, "x&lt;b&gt;&amp;&quot;&#39;y");
	free(s);
	s = render("{{ name }}|{{num}}|{{missing}}|{{ctl}}", ctx, 0, &e);
	ck_assert_str_eq(s, "<b>&\"'|42||a  b");
	free(s);
	s = render("{{#list}}[{{n}}{{num}}]{{/list}}", ctx, 1, &e);
	ck_assert_str_eq(s, "[a42][b&lt;42]");
	free(s);
	s = render("{{#empty}}E{{/empty}}{{^empty}}none{{/empty}}"
	    "{{#yes}}Y{{/yes}}{{^yes}}N{{/yes}}{{! gone }}", ctx, 0, &e);
	ck_assert_str_eq(s, "noneY");
	free(s);
	/* Block tags alone on their line take the line along. */
	s = render("a\n  {{#list}}\n- {{n}}\n  {{/list}}\nb\n{{! c }}\n", ctx,
	    0, &e);
	ck_assert_str_eq(s, "a\n- a\n- b<\nb\n");
	free(s);
	ck_assert_ptr_null(render("{{#list}}x", ctx, 0, &e));
	ck_assert_str_eq(e.msg, "t:1: unclosed section 'list'");
	ck_assert_ptr_null(render("a\n{{#a}}{{#b}}\n{{/a}}", ctx, 0, &e));
	ck_assert_str_eq(e.msg, "t:3: '{{/a}}' closes 'b' opened on line 2");
	ck_assert_ptr_null(render("{{/a}}", ctx, 0, &e));
	ck_assert_str_eq(e.msg, "t:1: '{{/a}}' closes no section");
	ck_assert_ptr_null(render("x\n{{name", ctx, 0, &e));
	ck_assert_str_eq(e.msg, "t:2: '{{' without '}}'");
	ck_assert_ptr_null(render("{{{name}}}", ctx, 0, &e));
	ck_assert_ptr_null(render("{{&name}}", ctx, 0, &e));
	ck_assert_ptr_null(render("{{}}", ctx, 0, &e));
	ck_assert_int_eq(template_check("\xff", 1, "t", NULL, &e), -1);
	json_decref(ctx);
}
END_TEST

START_TEST(partials)
{
	struct ms_err e;
	json_t *ctx, *p;
	char *s;

	ctx = json_pack("{s:s,s:[{s:s},{s:s}],s:i}", "free", "4,2 Go",
	    "list", "n", "<a>", "n", "b", "count", 2);
	p = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "libres",
	    "{{free}} libres", "sep", " : ", "item", "{{n}}{{> sep}}ok",
	    "self", "{{> self}}", "broken", "{{#x}}", "markup",
	    "a&nbsp;b");
	/* A partial: its words are markup, its values escaped. */
	s = render_p("[{{> libres}}]", ctx, p, TMPL_HTML, &e);
	ck_assert_str_eq(s, "[4,2 Go libres]");
	free(s);
	s = render_p("{{> markup}}", ctx, p, TMPL_HTML, &e);
	ck_assert_str_eq(s, "a&nbsp;b");
	free(s);
	/* In a section, with the element's names; partials in partials. */
	s = render_p("{{#list}}{{> item}};{{/list}}", ctx, p, TMPL_HTML, &e);
	ck_assert_str_eq(s, "&lt;a&gt; : ok;b : ok;");
	free(s);
	/* A partial tag alone on its line keeps the line's end. */
	s = render_p("x\n{{> sep}}\ny\n", ctx, p, TMPL_TEXT, &e);
	ck_assert_str_eq(s, "x\n : \ny\n");
	free(s);
	/* Errors: unknown, looping, broken partials. */
	ck_assert_ptr_null(render_p("a\n{{> nope}}", ctx, p, TMPL_TEXT, &e));
	ck_assert_str_eq(e.msg, "t:2: unknown partial 'nope'");
	ck_assert_ptr_null(render_p("{{> self}}", ctx, p, TMPL_TEXT, &e));
	ck_assert_str_eq(e.msg, "self:1: partials nested deeper than 8");
	ck_assert_ptr_null(render_p("{{> broken}}", ctx, p, TMPL_TEXT, &e));
	ck_assert_str_eq(e.msg, "broken:1: unclosed section 'x'");
	ck_assert_ptr_null(render_p("{{> sep}}", ctx, NULL, TMPL_TEXT, &e));
	/* template_check follows the partials. */
	ck_assert_int_eq(template_check("{{> item}}", 10, "t", p, &e), 0);
	ck_assert_int_eq(template_check("{{> nope}}", 10, "t", p, &e), -1);
	ck_assert_str_eq(e.msg, "t:1: unknown partial 'nope'");
	ck_assert_int_eq(template_check("{{> self}}", 10, "t", p, &e), -1);
	ck_assert_int_eq(template_check("{{> nope}}", 10, "t", NULL, &e), 0);
	/* One partial on its own. */
	{
		struct ms_buf b = { 0 };

		ck_assert_int_eq(template_render_partial(&b, p, "libres",
		    "strings", ctx, TMPL_TEXT, &e), 0);
		ck_assert_str_eq(b.data, "4,2 Go libres");
		ck_assert_int_eq(template_render_partial(&b, p, "nope",
		    "strings", ctx, TMPL_TEXT, &e), -1);
		ck_assert_str_eq(e.msg, "strings: unknown partial 'nope'");
		ms_buf_free(&b);
	}
	json_decref(p);
	json_decref(ctx);
}
END_TEST

static json_t *
strings_of(const char *lang)
{
	char name[64];
	const char *t;
	size_t len;
	json_t *s;

	snprintf(name, sizeof(name), "mail/strings.%s.json", lang);
	t = embed_get(name, &len);
	ck_assert_ptr_nonnull(t);
	s = json_loadb(t, len, 0, NULL);
	ck_assert(json_is_object(s));
	return s;
}

/* TMPL_MARKUP: partials are rendered markup, inserted as they are; a
 * "{{" in them (a Mac named so) is text, never a tag; an unknown mark is
 * still an error; values are still escaped. */
START_TEST(markup_partials)
{
	struct ms_err e;
	json_t *ctx, *p;
	char *s;

	ctx = json_pack("{s:s}", "v", "<b>");
	p = json_pack("{s:s,s:s}", "ROWS", "<td>{{> ROWS}} {{v}} {{#x}}</td>",
	    "N", "3");
	s = render_p("<p>{{> N}}</p>{{> ROWS}}{{v}}", ctx, p,
	    TMPL_HTML | TMPL_MARKUP, &e);
	ck_assert_str_eq(s, "<p>3</p><td>{{> ROWS}} {{v}} {{#x}}</td>&lt;b&gt;");
	free(s);
	s = render_p("{{> NOPE}}", ctx, p, TMPL_HTML | TMPL_MARKUP, &e);
	ck_assert_ptr_null(s);
	ck_assert_msg(strstr(e.msg, "unknown partial 'NOPE'") != NULL, "%s",
	    e.msg);
	json_decref(ctx);
	json_decref(p);
}
END_TEST

START_TEST(builtin)
{
	static const char *const tmpls[] = { "mail/alert.html",
	    "mail/alert.txt" };
	json_t *fr = strings_of("fr"), *en = strings_of("en"), *v;
	struct ms_err e;
	const char *t, *k;
	size_t i, len;

	for (i = 0; i < 2; i++) {
		t = embed_get(tmpls[i], &len);
		ck_assert_ptr_nonnull(t);
		ck_assert_msg(template_check(t, len, tmpls[i], fr, &e) == 0,
		    "fr: %s", e.msg);
		ck_assert_msg(template_check(t, len, tmpls[i], en, &e) == 0,
		    "en: %s", e.msg);
	}
	/* The same words in both languages, each a template. */
	ck_assert_int_eq(json_object_size(fr), json_object_size(en));
	json_object_foreach(fr, k, v) {
		ck_assert_msg(json_is_string(json_object_get(en, k)),
		    "%s: not in strings.en.json", k);
		if (strcmp(k, "comment") == 0)
			continue;
		ck_assert_msg(template_check(json_string_value(v),
		    json_string_length(v), k, fr, &e) == 0, "%s", e.msg);
		ck_assert_msg(template_check(json_string_value(
		    json_object_get(en, k)), json_string_length(
		    json_object_get(en, k)), k, en, &e) == 0, "%s", e.msg);
	}
	json_decref(fr);
	json_decref(en);
}
END_TEST

Suite *
suite(void)
{
	Suite *s = suite_create("template");
	TCase *tc;

	tc = tcase_create("template");
	tcase_add_test(tc, templates);
	tcase_add_test(tc, partials);
	tcase_add_test(tc, markup_partials);
	tcase_add_test(tc, builtin);
	suite_add_tcase(s, tc);
	return s;
}
