//! The page's stylesheet, served as `/style.css` (the Content-Security-Policy allows no
//! inline styles or scripts). System fonts, no images: it loads instantly anywhere.

pub const CSS: &str = r#"
:root { --ok:#1a7f37; --okbg:#dafbe1; --warn:#9a6700; --warnbg:#fff8c5; --bad:#cf222e; --badbg:#ffebe9;
  --run:#0969da; --runbg:#ddf4ff; --mute:#57606a; --line:#d0d7de; --bg:#f6f8fa; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif; color:#1f2328; background:var(--bg); }
header { background:#24292f; color:#fff; padding:12px 24px; display:flex; flex-wrap:wrap; gap:8px 28px; align-items:center; }
header h1 { font-size:18px; margin:0 12px 0 0; font-weight:600; }
header .kv { color:#c9d1d9; font-size:13px; } header .kv b { color:#fff; font-weight:600; font-family:ui-monospace,monospace; }
main { padding:16px 24px 40px; max-width:1400px; margin:0 auto; }
section { background:#fff; border:1px solid var(--line); border-radius:8px; padding:14px 18px; margin:0 0 16px; }
h2 { font-size:15px; margin:0 0 12px; display:flex; gap:10px; align-items:center; }
h2 small, .mute { color:var(--mute); font-weight:normal; font-size:12px; }
.badge { display:inline-block; padding:1px 8px; border-radius:10px; font-size:12px; font-weight:600; white-space:nowrap; border:1px solid transparent; }
.ok { color:var(--ok); background:var(--okbg); border-color:#aceebb; } .warn { color:var(--warn); background:var(--warnbg); border-color:#eed888; }
.bad { color:var(--bad); background:var(--badbg); border-color:#ffcecb; } .run { color:var(--run); background:var(--runbg); border-color:#b6e3ff; }
.idle { color:var(--mute); background:#eaeef2; border-color:#d0d7de; }
.map { display:flex; align-items:stretch; gap:0; overflow-x:auto; padding:4px 0; }
.tier { display:flex; flex-direction:column; gap:8px; min-width:170px; }
.tier h3 { margin:0 0 2px; font-size:11px; text-transform:uppercase; letter-spacing:.06em; color:var(--mute); }
.arrow { align-self:center; color:#8c959f; font-size:22px; padding:0 14px; }
.node { border:1px solid var(--line); border-left:4px solid #8c959f; border-radius:6px; padding:8px 10px; background:#fff; }
.node.s-ok { border-left-color:var(--ok); } .node.s-warn { border-left-color:#d4a72c; } .node.s-bad { border-left-color:var(--bad); } .node.s-run { border-left-color:var(--run); }
.node .name { font-weight:600; font-size:14px; } .node .addr { color:var(--mute); font-family:ui-monospace,monospace; font-size:12px; }
.node .line { margin-top:4px; display:flex; flex-wrap:wrap; gap:4px; align-items:center; font-size:12px; }
.vip { border-style:dashed; background:#fbfdff; }
.grid { display:grid; grid-template-columns:repeat(auto-fit,minmax(420px,1fr)); gap:16px; }
table { border-collapse:collapse; width:100%; font-size:13px; }
th { text-align:left; color:var(--mute); font-weight:600; font-size:12px; border-bottom:1px solid var(--line); padding:4px 8px; }
td { border-bottom:1px solid #eaeef2; padding:5px 8px; vertical-align:top; }
tr.px td { background:#f6f8fa; font-weight:600; }
td.num { text-align:right; font-variant-numeric:tabular-nums; }
code, .mono { font-family:ui-monospace,SFMono-Regular,Menlo,monospace; font-size:12px; }
pre.diff { margin:6px 0 8px; padding:8px 10px; background:#f6f8fa; border:1px solid var(--line); border-radius:6px; overflow-x:auto; font:12px/1.4 ui-monospace,monospace; }
pre.diff span { display:block; white-space:pre; } pre.diff .add { background:#dafbe1; color:#116329; } pre.diff .del { background:#ffebe9; color:#82071e; } pre.diff .hunk { color:#8250df; }
.target { border-top:1px solid #eaeef2; padding:10px 0; } .target:first-of-type { border-top:0; padding-top:0; }
.target .head { display:flex; gap:10px; align-items:center; flex-wrap:wrap; }
.target .head .tname { font-weight:600; font-size:14px; min-width:90px; }
.error { border:1px solid #ffcecb; background:#fff5f5; border-radius:6px; padding:8px 10px; margin:6px 0; }
.error .what { color:var(--bad); font-weight:600; } .error .todo { color:#1f2328; margin-top:3px; }
.obj { margin:6px 0 0; } .obj .path { font-family:ui-monospace,monospace; font-size:12px; }
details { border-bottom:1px solid #eaeef2; } details > summary { list-style:none; cursor:pointer; padding:6px 4px; display:flex; gap:12px; align-items:center; flex-wrap:wrap; }
details > summary::-webkit-details-marker { display:none; } details > summary::before { content:"▸"; color:var(--mute); } details[open] > summary::before { content:"▾"; }
details .body { padding:2px 4px 10px 22px; }
.when { font-family:ui-monospace,monospace; font-size:12px; color:var(--mute); min-width:150px; }
.pager { margin-top:10px; display:flex; gap:12px; align-items:center; }
a { color:var(--run); text-decoration:none; } a:hover { text-decoration:underline; }
.empty { color:var(--mute); font-style:italic; }
"#;
