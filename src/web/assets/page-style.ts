/** Inline stylesheet of the status page: readable on a laptop in a rack room, light and dark. */
export const pageStyle = `
:root { color-scheme: light dark; --fg: #1b1f24; --bg: #f6f7f9; --card: #fff; --line: #d6dae0; --sub: #5b6470;
  --ok: #1a7f37; --ok-bg: #dafbe1; --bad: #b42318; --bad-bg: #ffe4e1; --off: #6e7781; --off-bg: #eceff2;
  --warn: #9a6700; --warn-bg: #fff4d6; --agent: #0b57d0; --customer: #7b3fbf; --accent: #0b57d0; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e9ee; --bg: #14171b; --card: #1d2127; --line: #353b44;
  --sub: #9aa4b1; --ok: #4ac26b; --ok-bg: #16331f; --bad: #ff7b72; --bad-bg: #3d1715; --off: #9aa4b1;
  --off-bg: #262b32; --warn: #d29922; --warn-bg: #33280f; --agent: #79a7ff; --customer: #c49bff;
  --accent: #79a7ff; } }
* { box-sizing: border-box; }
body { margin: 0; padding: 1rem 1.5rem 3rem; font: 15px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif;
  color: var(--fg); background: var(--bg); }
h1 { margin: 0; font-size: 1.5rem; }
h2 { margin: 1.5rem 0 .5rem; font-size: 1.15rem; }
.appliance { font-weight: 400; color: var(--sub); }
.meta, .sub { color: var(--sub); font-size: .85rem; }
.mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: .85rem;
  overflow-wrap: anywhere; }
.stale { margin: .5rem 0; padding: .5rem .75rem; border-radius: 6px; background: var(--bad-bg); color: var(--bad); }
.banner { display: grid; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr)); gap: .75rem; margin-top: 1rem; }
.tile { padding: .75rem 1rem; border-radius: 8px; border: 2px solid; background: var(--card); }
.tile-ok { border-color: var(--ok); background: var(--ok-bg); }
.tile-bad { border-color: var(--bad); background: var(--bad-bg); }
.tile-off { border-color: var(--off); background: var(--off-bg); }
.tile-warn { border-color: var(--warn); background: var(--warn-bg); }
.tile-title { font-size: .8rem; text-transform: uppercase; letter-spacing: .05em; color: var(--sub); }
.tile-value { font-size: 1.3rem; font-weight: 700; }
.tile-ok .tile-value { color: var(--ok); } .tile-bad .tile-value { color: var(--bad); }
.tile-warn .tile-value { color: var(--warn); }
.tile-detail { font-size: .85rem; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; background: var(--card); }
th, td { text-align: left; vertical-align: top; padding: .4rem .5rem; border-bottom: 1px solid var(--line); }
th { font-size: .8rem; color: var(--sub); font-weight: 600; }
table.inner { background: transparent; } table.inner th, table.inner td { padding: .15rem .4rem; border: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.warn { color: var(--warn); font-weight: 600; }
.empty { color: var(--sub); font-style: italic; }
dl.kv { margin: 0; display: grid; grid-template-columns: auto 1fr; gap: 0 .5rem; }
dl.kv dt { color: var(--sub); font-size: .8rem; } dl.kv dd { margin: 0; }
ul.plain { margin: 0; padding: 0; list-style: none; }
.role { display: inline-block; min-width: 4.5rem; padding: 0 .35rem; border-radius: 4px; font-size: .75rem;
  text-align: center; border: 1px solid var(--off); color: var(--off); }
.role-agent { border-color: var(--agent); color: var(--agent); }
.role-customer { border-color: var(--customer); color: var(--customer); }
.state { display: inline-block; padding: 0 .35rem; border-radius: 4px; font-size: .8rem; font-weight: 600; }
.state-ok { background: var(--ok-bg); color: var(--ok); } .state-bad { background: var(--bad-bg); color: var(--bad); }
.state-pending { background: var(--off-bg); color: var(--warn); }
.error { color: var(--bad); font-size: .8rem; overflow-wrap: anywhere; }
meter { width: 6rem; height: .8rem; }
.toolbar { display: flex; flex-wrap: wrap; align-items: center; gap: .75rem; margin-top: 1rem; }
#actions { display: contents; }
button { font: inherit; font-weight: 600; padding: .45rem 1rem; border-radius: 6px; cursor: pointer;
  border: 1px solid var(--accent); background: var(--card); color: var(--accent); }
button:hover { background: var(--off-bg); } button:disabled { opacity: .5; cursor: progress; }
button.danger { border-color: var(--bad); color: var(--bad); }
.reply { font-size: .9rem; overflow-wrap: anywhere; } .reply-ok { color: var(--ok); } .reply-bad { color: var(--bad); }
.links { margin-top: .25rem; display: flex; flex-wrap: wrap; gap: .2rem .6rem; font-size: .85rem; }
a { color: var(--accent); }
.nowrap { white-space: nowrap; }
.more { color: var(--sub); margin: .5rem 0; }
table.calls > tbody > tr > td { border-bottom: 2px solid var(--line); }
td.corr { min-width: 11rem; } td.who { min-width: 11rem; } td.sinks { min-width: 11rem; }
.links a { white-space: nowrap; }
details { margin-top: 1.5rem; } summary { cursor: pointer; font-weight: 600; }
table.counters { width: auto; min-width: 20rem; }
`;
