// machttp_browser.js URL OUTDIR - the dashboard in headless Chromium,
// driven by playwright-core: no console error, no external load, the
// counters and the hostile name as expected, sorting and filtering
// clicked with the resulting row order checked, dark mode, the refresh,
// and the page without JavaScript. Screenshots go to OUTDIR.
//
// EXPECT (environment, JSON) holds what the data should give:
//   { ids, counters, hostileId, hostile, diskAsc, nameAsc, filter,
//     filterIds, addedId }
// ADD_CMD, if set, is run (sh -c) to add a machine before the refresh.
// Prints "ok   ..." / "FAIL ..." lines; exits 1 if any check failed.
"use strict";

const { chromium } = require("playwright-core");
const { execSync } = require("child_process");
const fs = require("fs");
const path = require("path");

const url = process.argv[2];
const outdir = process.argv[3];
const expect = JSON.parse(process.env.EXPECT || "{}");
const flags = ["--no-sandbox", "--disable-gpu", "--disable-quic",
	"--no-first-run", "--disable-background-networking",
	"--disable-component-update", "--disable-sync"];
let failed = 0;

function ok(cond, desc, detail) {
	if (cond) {
		console.log("ok   " + desc);
	} else {
		failed++;
		console.log("FAIL " + desc + (detail !== undefined ?
		    ": " + JSON.stringify(detail) : ""));
	}
}

function same(a, b) {
	return JSON.stringify(a) === JSON.stringify(b);
}

async function launch(js) {
	// A fresh profile each time: nothing cached from an earlier run.
	const profile = fs.mkdtempSync(path.join(outdir, "chromium-profile-"));
	return chromium.launchPersistentContext(profile, {
		executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
		headless: true,
		args: flags,
		javaScriptEnabled: js,
		viewport: { width: 1680, height: 760 },
		timeout: 60000,
	});
}

// Watch a page for everything a clean dashboard never does.
function watch(page, origin, problems) {
	page.on("console", (m) => {
		if (m.type() === "error")
			problems.push("console error: " + m.text());
	});
	page.on("pageerror", (e) => problems.push("page error: " + e.message));
	page.on("requestfailed", (r) => problems.push("request failed: " +
	    r.url() + " " + (r.failure() ? r.failure().errorText : "")));
	page.on("dialog", (d) => {
		problems.push("dialog: " + d.message());
		d.dismiss().catch(() => {});
	});
	page.on("request", (r) => {
		const u = r.url();
		if (!u.startsWith(origin) && !u.startsWith("data:"))
			problems.push("external request: " + u);
	});
}

async function visibleIds(page) {
	return page.$$eval("#machines tbody tr", (rows) => rows
	    .filter((r) => !r.classList.contains("hidden"))
	    .map((r) => r.getAttribute("data-id")));
}

async function clickHeader(page, label) {
	await page.locator("#machines thead th button", { hasText: label })
	    .first().click();
}

async function ariaSort(page, label) {
	return page.locator("#machines thead th", {
		has: page.locator("button", { hasText: label }),
	}).first().getAttribute("aria-sort");
}

async function main() {
	const origin = new URL(url).origin;
	const problems = [];
	let ctx = await launch(true);
	let page = ctx.pages()[0] || await ctx.newPage();

	watch(page, origin, problems);
	const resp = await page.goto(url, { waitUntil: "load" });
	ok(resp.status() === 200, "dashboard answers 200", resp.status());
	const csp = resp.headers()["content-security-policy"] || "";
	ok(csp.includes("default-src 'none'"), "dashboard has a CSP", csp);
	ok((await page.title()).startsWith("macscan"), "page title",
	    await page.title());

	const counters = await page.$$eval("#counters li b",
	    (bs) => bs.map((b) => Number(b.textContent)));
	ok(same(counters, expect.counters), "counters", counters);

	const ids = await visibleIds(page);
	ok(same([...ids].sort(), [...expect.ids].sort()),
	    "one row per machine", ids);

	if (expect.hostileId) {
		const shown = await page.locator(
		    `#machines tbody tr[data-id="${expect.hostileId}"] td.name .n`)
		    .textContent();
		ok(shown === expect.hostile, "hostile name shown as text",
		    shown);
		const scripts = await page.$$eval("script",
		    (ss) => ss.map((s) => s.getAttribute("src")));
		ok(scripts.length === 1 && /dashboard\.js$/.test(scripts[0]),
		    "no injected script element", scripts);
	}

	await page.screenshot({ path: path.join(outdir,
	    "machttp-dashboard.png"), fullPage: true });

	// Sorting by clicks on the column headers.
	await clickHeader(page, "Disk free");
	ok(same(await visibleIds(page), expect.diskAsc),
	    "sort by disk free, ascending", await visibleIds(page));
	ok(await ariaSort(page, "Disk free") === "ascending",
	    "aria-sort ascending");
	await clickHeader(page, "Disk free");
	ok(same(await visibleIds(page), [...expect.diskAsc].reverse()),
	    "sort by disk free, descending", await visibleIds(page));
	ok(await ariaSort(page, "Disk free") === "descending",
	    "aria-sort descending");
	await clickHeader(page, "Computer");
	ok(same(await visibleIds(page), expect.nameAsc),
	    "sort by computer name", await visibleIds(page));
	ok(await ariaSort(page, "Disk free") === "none",
	    "the other column is unsorted");

	// Filtering by text.
	await page.fill("#filter", expect.filter);
	ok(same(await visibleIds(page), expect.filterIds),
	    "filter '" + expect.filter + "'", await visibleIds(page));
	const note = await page.textContent("#shown");
	ok(note === `${expect.filterIds.length} of ${expect.ids.length} shown`,
	    "filter count shown", note);
	await page.fill("#filter", "");
	ok((await visibleIds(page)).length === expect.ids.length,
	    "empty filter shows every row");

	// Dark mode follows the system.
	const light = await page.evaluate(() =>
	    getComputedStyle(document.body).backgroundColor);
	await page.emulateMedia({ colorScheme: "dark" });
	const dark = await page.evaluate(() =>
	    getComputedStyle(document.body).backgroundColor);
	ok(light === "rgb(246, 247, 249)" && dark === "rgb(21, 25, 30)",
	    "dark mode follows prefers-color-scheme", [light, dark]);
	await page.screenshot({ path: path.join(outdir,
	    "machttp-dashboard-dark.png"), fullPage: true });
	await page.emulateMedia({ colorScheme: "light" });

	// The refresh swaps the rows and keeps the sort and the filter.
	if (process.env.ADD_CMD && expect.addedId) {
		await clickHeader(page, "Disk free");
		await page.fill("#filter", expect.filter);
		execSync(process.env.ADD_CMD, { stdio: "inherit" });
		await page.evaluate(() => window.macscanRefresh());
		await page.waitForFunction((n) =>
		    document.querySelectorAll("#machines tbody tr").length === n,
		    expect.ids.length + 1, { timeout: 15000 })
		    .then(() => ok(true, "refresh shows the new machine"),
		    () => ok(false, "refresh shows the new machine"));
		ok(await page.inputValue("#filter") === expect.filter,
		    "filter kept across the refresh");
		ok(await ariaSort(page, "Disk free") === "ascending",
		    "sort kept across the refresh");
		const total = await page.textContent("#counters li.c-total b");
		ok(Number(total) === expect.ids.length + 1,
		    "counters refreshed", total);
		await page.fill("#filter", "");
		const all = await visibleIds(page);
		ok(all.includes(expect.addedId), "new row present", all);
	}
	ok(problems.length === 0, "no console error, external load or dialog",
	    problems);
	await ctx.close();

	// Without JavaScript the server-rendered table is all there.
	ctx = await launch(false);
	page = ctx.pages()[0] || await ctx.newPage();
	const p2 = [];
	watch(page, origin, p2);
	await page.goto(url, { waitUntil: "load" });
	const n = await page.$$eval("#machines tbody tr", (r) => r.length);
	ok(n >= expect.ids.length, "table rendered without JavaScript", n);
	ok(p2.length === 0, "no error without JavaScript", p2);
	await page.screenshot({ path: path.join(outdir,
	    "machttp-dashboard-nojs.png") });
	await ctx.close();
}

main().then(() => process.exit(failed > 0 ? 1 : 0), (e) => {
	console.log("FAIL browser run: " + (e && e.stack ? e.stack : e));
	process.exit(1);
});
