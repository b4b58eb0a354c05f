// macscan dashboard: sort by any column, filter by text, refresh every
// minute. The page works without it; this only adds to it.
"use strict";
(function () {
	var table = document.getElementById("machines");
	var filter = document.getElementById("filter");
	var shown = document.getElementById("shown");
	if (!table || !filter)
		return;
	var sortCol = -1, sortDir = 1;

	function key(row, col, num) {
		var td = row.cells[col];
		if (!td)
			return num ? -Infinity : "";
		var v = td.hasAttribute("data-v") ? td.getAttribute("data-v") :
		    td.textContent.trim();
		if (num) {
			var n = parseFloat(v);
			return isNaN(n) ? -Infinity : n;
		}
		return v.toLowerCase();
	}

	function applySort() {
		var ths = table.tHead.rows[0].cells;
		for (var i = 0; i < ths.length; i++)
			ths[i].setAttribute("aria-sort", i !== sortCol ? "none" :
			    sortDir > 0 ? "ascending" : "descending");
		if (sortCol < 0)
			return;
		var num = ths[sortCol].getAttribute("data-type") === "num";
		var body = table.tBodies[0];
		var rows = Array.prototype.slice.call(body.rows);
		rows = rows.map(function (r, i) {
			return { r: r, k: key(r, sortCol, num), i: i };
		});
		rows.sort(function (a, b) {
			if (a.k < b.k) return -sortDir;
			if (a.k > b.k) return sortDir;
			return a.i - b.i;
		});
		rows.forEach(function (x) { body.appendChild(x.r); });
	}

	function applyFilter() {
		var q = filter.value.trim().toLowerCase();
		var rows = table.tBodies[0].rows, n = 0;
		for (var i = 0; i < rows.length; i++) {
			var hit = q === "" ||
			    rows[i].textContent.toLowerCase().indexOf(q) >= 0;
			rows[i].classList.toggle("hidden", !hit);
			if (hit)
				n++;
		}
		shown.textContent = q === "" ? "" :
		    n + " of " + rows.length + " shown";
	}

	var ths = table.tHead.rows[0].cells;
	Array.prototype.forEach.call(ths, function (th, i) {
		var b = th.querySelector("button");
		if (!b)
			return;
		b.addEventListener("click", function () {
			sortDir = sortCol === i ? -sortDir : 1;
			sortCol = i;
			applySort();
		});
	});
	filter.addEventListener("input", applyFilter);

	// Last seen in the reader's own time zone.
	function localTimes(root) {
		var ts = root.querySelectorAll("td time[datetime]");
		for (var i = 0; i < ts.length; i++) {
			var d = new Date(ts[i].getAttribute("datetime"));
			if (!isNaN(d.getTime())) {
				ts[i].title = ts[i].textContent;
				ts[i].textContent = d.toLocaleString();
			}
		}
	}
	localTimes(table);

	// Fetch the page again and swap the counters and the rows, keeping
	// the reader's sort and filter. A failed fetch keeps what is shown.
	function refresh() {
		fetch(window.location.href, { cache: "no-cache",
		    credentials: "same-origin" }).then(function (r) {
			if (!r.ok)
				throw new Error("HTTP " + r.status);
			return r.text();
		}).then(function (html) {
			var doc = new DOMParser().parseFromString(html,
			    "text/html");
			var nb = doc.querySelector("#machines tbody");
			var nc = doc.getElementById("counters");
			var ng = doc.getElementById("generated");
			if (!nb || !nc)
				return;
			table.replaceChild(document.adoptNode(nb),
			    table.tBodies[0]);
			var oc = document.getElementById("counters");
			oc.parentNode.replaceChild(document.adoptNode(nc), oc);
			if (ng) {
				var og = document.getElementById("generated");
				og.parentNode.replaceChild(document.adoptNode(ng),
				    og);
			}
			if (doc.title)
				document.title = doc.title;
			localTimes(table);
			applySort();
			applyFilter();
		}).catch(function () { /* try again next time */ });
	}
	window.setInterval(refresh, 60000);
	window.macscanRefresh = refresh;
})();
