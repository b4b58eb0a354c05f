// machttp_browser.js URL OUTDIR - the dashboard in headless Chromium,
// driven by playwright-core: no console error, no external load, the
// counters and the hostile name as expected, sorting and filtering
// clicked with the resulting row order checked, dark mode, the refresh,
// and the page without JavaScript. Then the page of one Mac: its text,
// and its history charts found in a screenshot, pixel by pixel, where
// the polyline's points say they are, in the line's colour. Screenshots
// go to OUTDIR.
//
// EXPECT (environment, JSON) holds what the data should give:
//   { ids, counters, hostileId, hostile, diskAsc, nameAsc, filter,
//     filterIds, addedId }
// ADD_CMD, if set, is run (sh -c) to add a machine before the refresh.
// PAGE (environment, JSON), if set, is the page of one Mac to check:
//   { url, name, rules, disk: {points, colour}, health: {points, colour},
//     hostileUrl, hostile }
// Prints "ok   ..." / "FAIL ..." lines; exits 1 if any check failed.
"use strict";

const { chromium } = require("playwright-core");
const { execSync } = require("child_process");
const fs = require("fs");
const path = require("path");
const zlib = require("zlib");

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

// A PNG (8-bit RGB or RGBA, not interlaced, as Chromium writes its
// screenshots) to { width, height, px(x, y) -> [r, g, b] }.
function decodePng(buf) {
	if (buf.readUInt32BE(0) !== 0x89504e47)
		throw new Error("not a PNG");
	let off = 8, width = 0, height = 0, bpp = 0;
	const idat = [];
	while (off < buf.length) {
		const len = buf.readUInt32BE(off);
		const type = buf.toString("latin1", off + 4, off + 8);
		const data = buf.subarray(off + 8, off + 8 + len);
		if (type === "IHDR") {
			width = data.readUInt32BE(0);
			height = data.readUInt32BE(4);
			if (data[8] !== 8 || (data[9] !== 2 && data[9] !== 6) ||
			    data[12] !== 0)
				throw new Error("PNG format not handled");
			bpp = data[9] === 6 ? 4 : 3;
		} else if (type === "IDAT") {
			idat.push(data);
		}
		off += 12 + len;
	}
	const raw = zlib.inflateSync(Buffer.concat(idat));
	const stride = width * bpp, out = Buffer.alloc(stride * height);
	for (let y = 0; y < height; y++) {
		const f = raw[y * (stride + 1)];
		const line = raw.subarray(y * (stride + 1) + 1,
		    (y + 1) * (stride + 1));
		for (let i = 0; i < stride; i++) {
			const a = i >= bpp ? out[y * stride + i - bpp] : 0;
			const b = y > 0 ? out[(y - 1) * stride + i] : 0;
			const c = i >= bpp && y > 0 ?
			    out[(y - 1) * stride + i - bpp] : 0;
			let v = line[i];
			if (f === 1) v += a;
			else if (f === 2) v += b;
			else if (f === 3) v += (a + b) >> 1;
			else if (f === 4) {
				const p = a + b - c, pa = Math.abs(p - a),
				    pb = Math.abs(p - b), pc = Math.abs(p - c);
				v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
			}
			out[y * stride + i] = v & 255;
		}
	}
	return { width, height, px: (x, y) => {
		const o = y * stride + x * bpp;
		return [out[o], out[o + 1], out[o + 2]];
	} };
}

// Check one chart of a Mac's page: the polyline has the points the data
// gives, and a screenshot of the chart shows pixels of the line's colour
// at each point (within 3 px) and nowhere left of the plot area.
async function checkChart(page, outdir, id, want) {
	const line = page.locator(`#${id} polyline.line`);
	const pts = (await line.getAttribute("points")).trim().split(/\s+/)
	    .map((p) => p.split(",").map(Number));
	ok(pts.length === want.points, `${id}: ${want.points} points`,
	    pts.length);
	const stroke = await line.evaluate((e) => getComputedStyle(e).stroke);
	ok(stroke === want.colour, `${id}: line colour`, stroke);
	const rgb = stroke.match(/\d+/g).map(Number);
	const svg = page.locator(`#${id} svg`);
	const box = await svg.boundingBox();
	const vb = (await svg.getAttribute("viewBox")).split(" ").map(Number);
	const file = path.join(outdir, `machttp-mac-${id}.png`);
	const img = decodePng(await svg.screenshot({ path: file }));
	const near = (p) => Math.abs(p[0] - rgb[0]) + Math.abs(p[1] - rgb[1]) +
	    Math.abs(p[2] - rgb[2]) <= 30;
	const sx = img.width / vb[2], sy = img.height / vb[3];
	let missing = [], lit = 0, strayLeft = 0;
	for (const [x, y] of pts) {
		const cx = Math.round(x * sx), cy = Math.round(y * sy);
		let found = false;
		for (let dy = -3; dy <= 3 && !found; dy++)
			for (let dx = -3; dx <= 3 && !found; dx++) {
				const px = cx + dx, py = cy + dy;
				if (px >= 0 && py >= 0 && px < img.width &&
				    py < img.height && near(img.px(px, py)))
					found = true;
			}
		if (!found)
			missing.push([x, y]);
	}
	for (let y = 0; y < img.height; y++)
		for (let x = 0; x < img.width; x++)
			if (near(img.px(x, y))) {
				lit++;
				if (x < Math.floor(pts[0][0] * sx) - 4)
					strayLeft++;
			}
	ok(missing.length === 0, `${id}: the line's colour at every point ` +
	    `of the screenshot (${img.width}x${img.height}, ${Math.round(box.width)} ` +
	    `px wide)`, missing);
	ok(lit >= 40, `${id}: the line is drawn (${lit} pixels of its colour)`,
	    lit);
	ok(strayLeft === 0, `${id}: nothing of its colour left of the plot`,
	    strayLeft);
	return pts;
}

async function checkPage(pg, outdir) {
	const origin = new URL(pg.url).origin;
	const problems = [];
	const ctx = await launch(true);
	const page = ctx.pages()[0] || await ctx.newPage();

	watch(page, origin, problems);
	const resp = await page.goto(pg.url, { waitUntil: "load" });
	ok(resp.status() === 200, "Mac page answers 200", resp.status());
	const csp = resp.headers()["content-security-policy"] || "";
	ok(csp.includes("default-src 'none'"), "Mac page has the CSP", csp);
	ok(await page.textContent("#name") === pg.name, "Mac page: name",
	    await page.textContent("#name"));
	const rules = await page.$$eval("#verdicts li[data-rule]",
	    (ls) => ls.map((l) => l.getAttribute("data-rule")));
	ok(same(rules, pg.rules), "Mac page: the rules that fire", rules);
	const text = await page.textContent("main");
	ok(text.includes("Disk free") && text.includes("Battery health") &&
	    text.includes("Alerts sent"), "Mac page: its sections");
	ok(await page.$$eval("script", (s) => s.length) === 0,
	    "Mac page: no script");
	await page.screenshot({ path: path.join(outdir, "machttp-mac.png"),
	    fullPage: true });
	const disk = await checkChart(page, outdir, "chart-disk", pg.disk);
	// The disk fills up: its line goes down, so it ends lower on the
	// screen (a larger y) than it starts.
	ok(disk[disk.length - 1][1] > disk[0][1],
	    "chart-disk: falling free space drawn falling", disk);
	await checkChart(page, outdir, "chart-health", pg.health);
	if (pg.hostileUrl) {
		await page.goto(pg.hostileUrl, { waitUntil: "load" });
		ok(await page.textContent("#name") === pg.hostile,
		    "hostile Mac's page: the name shown as text");
		ok(await page.$$eval("script", (s) => s.length) === 0,
		    "hostile Mac's page: no script element");
	}
	ok(problems.length === 0, "Mac pages: no console error, external " +
	    "load or dialog", problems);
	await ctx.close();
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
		    expect.ids.length + 1, { timeout: 60000 })
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
	// Each name leads to the Mac's page.
	const first = expect.ids[0];
	await Promise.all([page.waitForNavigation(),
	    page.locator(`#machines tbody tr[data-id="${first}"] td.name a.n`)
	    .click()]);
	ok(decodeURIComponent(new URL(page.url()).pathname) === "/mac/" + first,
	    "the name links to the Mac's page", page.url());
	ok((await page.textContent("#name")).length > 0, "the page has a name");
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

	if (process.env.PAGE)
		await checkPage(JSON.parse(process.env.PAGE), outdir);
}

main().then(() => process.exit(failed > 0 ? 1 : 0), (e) => {
	console.log("FAIL browser run: " + (e && e.stack ? e.stack : e));
	process.exit(1);
});
