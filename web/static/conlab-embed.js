// conlab embed loader: turns every element like
//   <div data-conlab-scenario="semaphore" data-permits="3" data-lang="zh-CN"></div>
// into a live conlab widget (an iframe of embed.html next to this script), sized to its
// content. Widgets are independent: each runs its scenarios in Workers of its own, so no demo
// ever blocks the page that embeds it.
(function () {
  "use strict";
  var script = document.currentScript;
  var base = script && script.src ? script.src.replace(/[^\/]*$/, "") : "./";
  var frames = {};
  // The smallest fixed height (data-height) a widget works in: its title, Run and the top of
  // its result; the result scrolls in the rest. Smaller values are raised to it.
  var MIN_FIXED = 480;

  function query(el, widget) {
    var q = new URLSearchParams();
    q.set("scenario", el.getAttribute("data-conlab-scenario"));
    for (var i = 0; i < el.attributes.length; i++) {
      var a = el.attributes[i];
      if (a.name.indexOf("data-") !== 0 || a.name === "data-conlab-scenario") continue;
      if (a.name === "data-height" || a.name === "data-conlab-mounted") continue;
      var name = a.name.slice(5);
      // data-sleep-ms sets sleep_ms; data-time-scale and data-lang keep their dashes; the
      // widget reads data-compact, data-autorun and data-theme itself.
      // Attributes that are no parameter of the scenario (data-v-7ba5bd90 from Vue) are
      // dropped by the widget itself.
      var keep = name === "lang" || name === "time-scale";
      q.set(keep ? name : name.replace(/-/g, "_"), a.value);
    }
    q.set("widget", String(widget));
    if (parseInt(el.getAttribute("data-height"), 10) > 0) q.set("fixed", "1");
    return q.toString();
  }

  function mount() {
    var els = document.querySelectorAll("[data-conlab-scenario]");
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      if (el.getAttribute("data-conlab-mounted")) continue;
      var id = Object.keys(frames).length + 1;
      var frame = document.createElement("iframe");
      frame.src = base + "embed.html?" + query(el, id);
      frame.title = "conlab: " + el.getAttribute("data-conlab-scenario");
      frame.loading = "lazy";
      frame.className = "conlab-widget";
      // data-height fixes the frame's height (in pixels); otherwise it follows its content.
      var fixed = parseInt(el.getAttribute("data-height"), 10);
      if (fixed > 0) frame.setAttribute("data-fixed-height", "");
      // content-box whatever the host's CSS says (many themes set border-box on everything):
      // the height the widget reports is its content's, and the borders come on top.
      frame.style.cssText = "box-sizing:content-box;display:block;width:calc(100% - 2px);" +
        "border:1px solid #d9d9e3;border-radius:6px;margin:0;padding:0;height:" +
        (fixed > 0 ? Math.min(Math.max(fixed, MIN_FIXED), 4000) : 420) + "px";
      el.setAttribute("data-conlab-mounted", String(id));
      el.appendChild(frame);
      frames[id] = frame;
    }
  }

  window.addEventListener("message", function (e) {
    var d = e.data;
    if (!d || d.conlab !== "height" || !frames[d.widget]) return;
    if (frames[d.widget].hasAttribute("data-fixed-height")) return;
    if (frames[d.widget].contentWindow !== e.source) return;
    frames[d.widget].style.height = Math.min(Math.max(d.height, 120), 4000) + "px";
  });

  // Elements added later (a site that changes pages without reloading) are mounted as they
  // appear; `conlab.mount()` mounts them at once.
  function watch() {
    mount();
    if (window.MutationObserver) {
      new MutationObserver(function () { mount(); })
        .observe(document.body || document.documentElement, { childList: true, subtree: true });
    }
  }
  window.conlab = window.conlab || {};
  window.conlab.mount = mount;

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", watch);
  else watch();
})();
