// tests/browser/report.mjs - open pinlab's HTML report in headless Chromium
// and use it as a reader would, through the DevTools protocol (CDP).
//
//   node --experimental-websocket tests/browser/report.mjs CHROMIUM REPORT.html SHOT.png \
//	[HOST-REPORT.html HOST-SHOT.png]
//
// WebSocket: Node's own (node >= 22, or 20.10+ with --experimental-websocket),
// else the npm package `ws` (NODE_PATH; .ci/run installs it into
// build/node_modules).  Exit 0 pass, 1 fail, 77 skip ("# SKIP reason").
//
// Checks: no console error, no uncaught exception and no request that is not
// file: or data: (the page is self-contained); the matrix lists the scenario;
// filtering hides the other rows; a real mouse click on the scenario opens
// it; in the first timeline exactly the step that decided the leak is
// highlighted, its picture draws the leak banner and the folio the pipe
// read from; the fork step's picture shows both processes and that folio.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const [chromium, report, shot, hostReport, hostShot] = process.argv.slice(2);
if (!chromium || !report || !shot) {
	console.error("usage: report.mjs CHROMIUM REPORT.html SHOT.png");
	process.exit(2);
}

function skip(why) {
	console.log("# SKIP " + why);
	process.exit(77);
}

let WS = globalThis.WebSocket;
if (!WS) {
	try {
		const ws = createRequire(resolve("package.json"))("ws");
		WS = ws.WebSocket || ws;
	} catch {
		skip("no WebSocket in this node and no npm package ws (.ci/run installs it)");
	}
}

const profile = mkdtempSync(join(tmpdir(), "pinlab-chromium-"));
const browser = spawn(chromium, [
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync",
	"--disable-dev-shm-usage", "--hide-scrollbars", "--window-size=1400,1000",
	"--user-data-dir=" + profile, "--remote-debugging-port=0", "about:blank",
], { stdio: ["ignore", "ignore", "pipe"] });

let failed = 0;
function check(ok, what) {
	console.log((ok ? "ok - " : "not ok - ") + what);
	if (!ok)
		failed++;
}

function cleanup() {
	try { browser.kill("SIGKILL"); } catch { /* gone */ }
	try { rmSync(profile, { recursive: true, force: true }); } catch { /* best effort */ }
}

const deadline = setTimeout(() => {
	console.log("not ok - the browser did not answer within 120 s");
	cleanup();
	process.exit(1);
}, 120000);

const wsUrl = await new Promise((res, rej) => {
	let err = "";
	browser.stderr.on("data", d => {
		err += d;
		const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
		if (m)
			res(m[1]);
	});
	browser.on("exit", code => rej(new Error("chromium exited " + code + ": " + err.slice(-400))));
	browser.on("error", rej);
}).catch(e => {
	cleanup();
	skip("chromium did not start: " + e.message.split("\n")[0]);
});

const sock = new WS(wsUrl);
await new Promise((res, rej) => {
	sock.onopen = res;
	sock.onerror = () => rej(new Error("cannot connect to " + wsUrl));
});

let nextId = 1;
const pending = new Map();
const listeners = [];
sock.onmessage = ev => {
	const msg = JSON.parse(typeof ev.data === "string" ? ev.data : ev.data.toString());
	if (msg.id && pending.has(msg.id)) {
		const { res, rej } = pending.get(msg.id);
		pending.delete(msg.id);
		if (msg.error)
			rej(new Error(JSON.stringify(msg.error)));
		else
			res(msg.result);
	} else if (msg.method) {
		for (const l of listeners)
			l(msg);
	}
};
function send(method, params = {}, sessionId) {
	const id = nextId++;
	sock.send(JSON.stringify({ id, method, params, sessionId }));
	return new Promise((res, rej) => pending.set(id, { res, rej }));
}
function once(method) {
	return new Promise(res => {
		const l = msg => {
			if (msg.method === method) {
				listeners.splice(listeners.indexOf(l), 1);
				res(msg.params);
			}
		};
		listeners.push(l);
	});
}

const errors = [], requests = [];
listeners.push(msg => {
	const p = msg.params;
	if (msg.method === "Runtime.consoleAPICalled" && (p.type === "error" || p.type === "assert"))
		errors.push("console." + p.type + ": " + p.args.map(a => a.value ?? a.description).join(" "));
	if (msg.method === "Runtime.exceptionThrown")
		errors.push("exception: " + (p.exceptionDetails.exception?.description ||
			p.exceptionDetails.text));
	if (msg.method === "Log.entryAdded" && p.entry.level === "error")
		errors.push("log: " + p.entry.text);
	if (msg.method === "Network.requestWillBeSent")
		requests.push(p.request.url);
});

const { targetId } = await send("Target.createTarget", { url: "about:blank" });
const { sessionId } = await send("Target.attachToTarget", { targetId, flatten: true });
const S = (m, p) => send(m, p, sessionId);
await S("Runtime.enable");
await S("Log.enable");
await S("Network.enable");
await S("Page.enable");
await S("Emulation.setDeviceMetricsOverride", { width: 1400, height: 1000, deviceScaleFactor: 1,
	mobile: false });

const loaded = once("Page.loadEventFired");
await S("Page.navigate", { url: pathToFileURL(resolve(report)).href });
await loaded;

async function js(expr) {
	const r = await S("Runtime.evaluate", { expression: expr, returnByValue: true,
		awaitPromise: true });
	if (r.exceptionDetails)
		throw new Error("evaluate " + expr + ": " + r.exceptionDetails.text);
	return r.result.value;
}
async function click(selector) {
	const box = await js(`(() => { const e = document.querySelector(${JSON.stringify(selector)});
		if (!e) return null; e.scrollIntoView({ block: "center" });
		const r = e.getBoundingClientRect(); return { x: r.x + r.width / 2, y: r.y + r.height / 2 }; })()`);
	if (!box)
		return false;
	for (const type of ["mouseMoved", "mousePressed", "mouseReleased"])
		await S("Input.dispatchMouseEvent", { type, x: box.x, y: box.y, button: "left",
			clickCount: 1 });
	return true;
}

const id = "examples/vmsplice-unmap-child";
const rows = await js(`document.querySelectorAll("#matrix tr.scn").length`);
check(rows >= 3, `the matrix has a row per scenario (${rows})`);
check(await js(`!!document.querySelector('#matrix tr[data-id="${id}"]')`), `the matrix lists ${id}`);
check(await js(`document.querySelectorAll('#matrix tr[data-id="${id}"] td.cell').length ===
	JSON.parse(document.getElementById("data").textContent).presets.length`),
	"one cell per preset");
check(await js(`!!document.querySelector('#matrix tr[data-id="${id}"] td.cell.o-leak')`),
	"a leak cell is coloured as a leak");
check(await js(`!!document.querySelector('#matrix tr[data-id="${id}"] td.cell.chg')`),
	"the era where the case changes is marked");

// filter: type the name, the other rows hide
await click("#filter");
await S("Input.insertText", { text: "vmsplice-unmap" });
const shown = await js(`[...document.querySelectorAll("#matrix tr.scn")].filter(r => !r.hidden)
	.map(r => r.dataset.id)`);
check(shown.length === 1 && shown[0] === id, `the filter leaves only ${id} (${shown.join(" ")})`);

// open the scenario with a real click on its name
check(await click(`#matrix tr[data-id="${id}"] a.open`), "clicked the scenario's name");
check(await js(`!document.getElementById("detail").hidden &&
	document.getElementById("detail").dataset.scenario === "${id}"`), "the scenario opened");
const tl = `#detail .timeline:first-of-type`;
const fails = await js(`[...document.querySelectorAll("${tl} .step.fail")].map(s => s.dataset.step)`);
check(fails.length === 1 && fails[0] === "8", `exactly the leak step (8) is highlighted (${fails})`);
check(await js(`getComputedStyle(document.querySelector("${tl} .step.fail")).borderLeftColor ===
	"rgb(214, 39, 40)"`), "the leak step is drawn in red");
check(await js(`!!document.querySelector('${tl} .step.fail svg.state .banner') &&
	/LEAK at step 8/.test(document.querySelector('${tl} .step.fail svg.state .banner').textContent)`),
	"its picture carries the leak banner");
check(await js(`!!document.querySelector('${tl} .step.fail svg.state g.folio.bad[data-pfn="511"]')`),
	"its picture marks folio 511, the page the pipe read");
const fork = await js(`(() => { const s = document.querySelector('${tl} .step[data-step="4"] svg.state');
	return s && { procs: s.querySelectorAll("g.proc").length,
		folios: [...s.querySelectorAll("g.folio")].map(f => f.dataset.pfn),
		text: s.querySelector('g.folio[data-pfn="511"]')?.textContent || "" }; })()`);
check(fork && fork.procs === 2, `after fork the picture has two processes (${fork && fork.procs})`);
check(fork && fork.folios.join() === "511", `and one folio, 511 (${fork && fork.folios})`);
check(fork && /ref 2\s+map 2/.test(fork.text), `with ref 2 map 2 (${fork && fork.text})`);
check(await js(`!!document.querySelector('${tl} .step[data-step="7"] .ev.decision') &&
	/anon_reuse/.test(document.querySelector('${tl} .step[data-step="7"]').textContent)`),
	"the reuse step explains its decision with the knob");
check(await js(`document.querySelectorAll("#detail .timeline").length === 2`),
	"the run under the era that fixed it is drawn beside it");

await js(`document.querySelector("${tl} .step.fail").scrollIntoView({ block: "center" })`);
const png = await S("Page.captureScreenshot", { format: "png" });
writeFileSync(shot, Buffer.from(png.data, "base64"));
console.log("# screenshot: " + shot);

if (hostReport) {
	const again = once("Page.loadEventFired");
	await S("Page.navigate", { url: pathToFileURL(resolve(hostReport)).href });
	await again;
	const hosts = await js(`[...document.querySelectorAll("#matrix th.host")].map(t => t.textContent)`);
	check(hosts.length === 1 && /^host \S+/.test(hosts[0]), `a host column (${hosts.join(", ")})`);
	const cell = `#matrix tr[data-id="${id}"] td.cell.host`;
	check(await js(`!!document.querySelector('${cell}')`), `${id} has a host cell`);
	check(await js(`document.querySelector('${cell}').classList.contains("mismatch")`),
		"the host cell marks the disagreement with the model");
	check(await js(`document.querySelectorAll('#matrix tr[data-id="${id}"] td.cell').length ===
		JSON.parse(document.getElementById("data").textContent).presets.length + 1`),
		"one cell per preset, then the host's");
	check(await click(cell), "clicked the host cell");
	check(await js(`!!document.querySelector("#detail table.hostruns") &&
		/disagree/.test(document.querySelector("#detail table.hostruns").textContent)`),
		"the scenario lists model vs host per backing, with the disagreement");
	const vs = `#detail .timeline[data-preset="v5.7"][data-backing="base"] .step[data-step="8"] table.vs`;
	check(await js(`!!document.querySelector('${vs}')`),
		"the v5.7 base timeline shows model and host side by side at step 8");
	check(await js(`!!document.querySelector('${vs} tr.differ') &&
		getComputedStyle(document.querySelector('${vs} tr.differ td')).backgroundColor ===
		"rgb(255, 228, 225)"`), "and marks that step's observations as differing");
	check(await js(`/"new"/.test(document.querySelector('${vs} tr.differ td').textContent) &&
		/"old"/.test(document.querySelector('${vs} tr.differ td:last-child').textContent)`),
		"the model read \"new\" where the host read \"old\"");
	await js(`document.querySelector('${vs}').scrollIntoView({ block: "center" })`);
	const png2 = await S("Page.captureScreenshot", { format: "png" });
	writeFileSync(hostShot, Buffer.from(png2.data, "base64"));
	console.log("# screenshot: " + hostShot);
}

const foreign = requests.filter(u => !/^(file|data|about|blob):/.test(u));
check(foreign.length === 0, `no request leaves the file (${foreign.join(" ")})`);
check(errors.length === 0, `no console error (${errors.join("; ")})`);

clearTimeout(deadline);
sock.close();
cleanup();
process.exit(failed ? 1 : 0);
