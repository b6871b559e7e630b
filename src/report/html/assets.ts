/** The report page's inline stylesheet and script (no external resources). */

export const PAGE_CSS = `
:root { --ink: #1d232b; --muted: #5b6673; --line: #c6ced8; --vpc: #eef4fb; --subnet: #ffffff; --fail: #c62828; --ok: #2e7d32; --path: #1565c0; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--ink); margin: 0; background: #f7f8fa; }
header { padding: 16px 24px; background: #1d232b; color: #fff; }
header h1 { margin: 0; font-size: 20px; }
header p { margin: 4px 0 0; color: #cfd6de; }
header code { color: #fff; }
main { padding: 16px 24px; }
h2 { font-size: 17px; margin: 20px 0 8px; }
code, pre { font: 12px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; }
pre { background: #f0f2f5; padding: 8px; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
.hint { color: var(--muted); margin: 0 0 8px; }
#topology { display: grid; grid-template-columns: minmax(0, 1fr) 340px; gap: 12px; align-items: start; }
#topology h2, #topology .hint { grid-column: 1 / -1; }
.picture { overflow: auto; background: #fff; border: 1px solid var(--line); border-radius: 6px; }
#detail { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; position: sticky; top: 8px; max-height: 90vh; overflow: auto; }
#detail dl, .hop-detail { margin: 0; }
dt { font-weight: 600; margin-top: 6px; color: var(--muted); font-size: 12px; text-transform: uppercase; }
dd { margin: 2px 0 0; word-break: break-word; }
svg text { font: 12px system-ui, "DejaVu Sans", sans-serif; fill: var(--ink); }
svg text.name { font-weight: 600; }
svg .box rect { stroke: var(--line); stroke-width: 1.2; }
svg .vpc > rect { fill: var(--vpc); stroke: #8aa7c7; stroke-width: 1.6; }
svg .subnet > rect { fill: var(--subnet); stroke-dasharray: 4 3; }
svg .instance > rect, svg .k8s-node > rect { fill: #f3f0fb; }
svg .rds > rect { fill: #fff6e5; }
svg .igw > rect, svg .tgw > rect { fill: #eef7ee; }
svg .link path { fill: none; stroke: #7d8a99; stroke-width: 2; }
svg .link.peering path { stroke: #6a4fb3; stroke-width: 3; }
svg .link.peering circle { fill: #6a4fb3; }
svg .link text { font-size: 11px; fill: #6a4fb3; }
svg .on-path > rect { stroke: var(--path); stroke-width: 3; }
svg .link.on-path path { stroke: var(--path); stroke-width: 4; }
svg .link.on-path circle { fill: var(--path); }
svg .failing > rect, svg .link.failing path { stroke: var(--fail); stroke-width: 4; }
svg .link.failing circle { fill: var(--fail); r: 9; }
svg .current > rect { stroke: #f9a825; stroke-width: 5; }
svg .link.current path { stroke: #f9a825; }
svg .callout { display: none; }
svg .callout.on { display: inline; }
svg .callout rect { fill: #fff5f5; stroke: var(--fail); stroke-width: 1.5; }
svg .callout .pin { stroke: var(--fail); stroke-dasharray: 3 3; fill: none; }
.finding { background: #fff; border: 1px solid var(--line); border-left: 5px solid var(--muted); border-radius: 6px; padding: 10px 14px; margin: 12px 0; }
.finding.sev-error { border-left-color: var(--fail); }
.finding.sev-warning { border-left-color: #f9a825; }
.finding h3 { margin: 0 0 6px; font-size: 15px; }
.sev { text-transform: uppercase; font-size: 11px; padding: 1px 6px; border-radius: 3px; background: #eceff3; }
.sev-error .sev { background: #fde7e7; color: var(--fail); }
.trace { border-top: 1px solid #e5e9ee; margin-top: 8px; padding-top: 6px; }
.trace h4 { margin: 4px 0; font-size: 14px; }
.trace h5 { margin: 6px 0 2px; font-size: 12px; color: var(--muted); text-transform: uppercase; }
.why { margin: 4px 0; }
.verdict { font-weight: 700; color: var(--fail); }
.verdict.v-delivered { color: var(--ok); }
.causes { margin: 4px 0; padding-left: 20px; }
.hops { margin: 0; padding-left: 0; list-style: none; }
.hop button { all: unset; cursor: pointer; display: block; padding: 2px 6px; border-radius: 4px; }
.hop button:hover, .hop button:focus-visible { background: #e8f0fb; outline: 1px solid var(--path); }
.hop.selected button { background: #fff3cd; }
.hop.failing button { color: var(--fail); font-weight: 600; }
.hop .at { color: var(--muted); }
.hop .dec { font-size: 12px; padding: 0 4px; border: 1px solid var(--line); border-radius: 3px; }
.hop-detail { display: none; }
.show-path { font-size: 12px; cursor: pointer; }
.fixes li { margin: 6px 0; }
.fixes .proven strong { color: var(--ok); }
.fixes .unproven strong { color: var(--muted); }
.blast { font-size: 12px; color: var(--muted); }
figure { margin: 4px 0; }
figcaption { font-size: 12px; color: var(--muted); }
@media print {
  body { background: #fff; font-size: 11px; }
  header { background: none; color: #000; padding: 0 0 8px; border-bottom: 2px solid #000; }
  header p, header code { color: #000; }
  #topology { display: block; }
  #detail, .hint, .show-path { display: none; }
  .picture { border: none; overflow: visible; }
  .picture svg { max-width: 100%; height: auto; }
  .finding { break-inside: avoid-page; border-left-width: 3px; }
  .hop.failing .hop-detail { display: block; margin: 2px 0 6px 20px; }
  pre { white-space: pre-wrap; }
}
`;

// Only toggles classes and moves server-rendered (escaped) nodes: no input text is parsed as HTML here.
export const PAGE_SCRIPT = `
(function () {
  var svg = document.getElementById('topo');
  var detail = document.getElementById('detail');
  function els(id) { return svg ? svg.querySelectorAll('[data-el="' + CSS.escape(id) + '"]') : []; }
  function clear() {
    if (!svg) return;
    svg.querySelectorAll('.on-path, .failing, .current').forEach(function (n) { n.classList.remove('on-path', 'failing', 'current'); });
    svg.querySelectorAll('.callout.on').forEach(function (n) { n.classList.remove('on'); });
    document.querySelectorAll('.hop.selected').forEach(function (n) { n.classList.remove('selected'); });
  }
  function showPath(traceId) {
    clear();
    var trace = document.querySelector('.trace[data-trace="' + CSS.escape(traceId) + '"]');
    if (!trace) return;
    trace.querySelectorAll('.hop button[data-el]').forEach(function (b) {
      var failing = b.parentNode.classList.contains('failing');
      els(b.getAttribute('data-el')).forEach(function (n) { n.classList.add(failing ? 'failing' : 'on-path'); });
    });
    if (svg) svg.querySelectorAll('.callout[data-trace="' + CSS.escape(traceId) + '"]').forEach(function (n) { n.classList.add('on'); });
  }
  function showHop(button) {
    var trace = button.closest('.trace');
    showPath(trace.getAttribute('data-trace'));
    button.parentNode.classList.add('selected');
    var el = button.getAttribute('data-el');
    if (el) els(el).forEach(function (n) { n.classList.add('current'); });
    var dl = document.getElementById(button.getAttribute('data-hop'));
    detail.replaceChildren();
    var h = document.createElement('h3');
    h.textContent = button.textContent;
    detail.appendChild(h);
    var copy = dl.cloneNode(true);
    copy.removeAttribute('id');
    copy.style.display = 'block';
    detail.appendChild(copy);
  }
  document.addEventListener('click', function (e) {
    var t = e.target.closest ? e.target.closest('button') : null;
    if (!t) return;
    if (t.hasAttribute('data-hop')) showHop(t);
    else if (t.classList.contains('show-path')) showPath(t.getAttribute('data-trace'));
  });
  var first = document.querySelector('.hop.failing button') || document.querySelector('.hop button');
  if (first) showHop(first);
})();
`;
