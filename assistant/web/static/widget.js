/* gongkai chat widget: a floating 「政务问答」 button that opens the chat in an iframe.
 *
 *   <script src="https://HOST/widget.js" data-agency="小岔乡" defer></script>
 *
 * Attributes: data-agency (scope of the chat), data-year, data-label (button text, default 政务问答),
 * data-position ("right" default, or "left"). The chat is loaded from the same origin as this script.
 * No cookies, no login; the iframe is only created when the button is first clicked.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__gongkaiWidget) { return; }
  window.__gongkaiWidget = true;

  var origin = new URL(script.src, window.location.href).origin;
  var agency = (script.getAttribute("data-agency") || "").trim();
  var year = (script.getAttribute("data-year") || "").trim();
  var label = (script.getAttribute("data-label") || "").trim() || "政务问答";
  var side = script.getAttribute("data-position") === "left" ? "left" : "right";

  var params = new URLSearchParams();
  if (agency) { params.set("agency", agency); }
  if (/^\d{4}$/.test(year)) { params.set("year", year); }
  params.set("embed", "1");
  var chatUrl = origin + "/?" + params.toString();

  function css(el, styles) {
    for (var key in styles) { if (Object.prototype.hasOwnProperty.call(styles, key)) { el.style[key] = styles[key]; } }
    return el;
  }

  var button = css(document.createElement("button"), {
    position: "fixed", bottom: "20px", zIndex: "2147483000", padding: "12px 18px",
    border: "none", borderRadius: "24px", background: "#c4161c", color: "#fff", font: "600 16px/1.2 sans-serif",
    boxShadow: "0 4px 14px rgba(0,0,0,.25)", cursor: "pointer"
  });
  button.style[side] = "20px";
  button.type = "button";
  button.id = "gongkai-widget-button";
  button.textContent = label;
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-controls", "gongkai-widget-panel");

  var panel = css(document.createElement("div"), {
    position: "fixed", bottom: "76px", zIndex: "2147483000", width: "min(420px, calc(100vw - 24px))",
    height: "min(660px, calc(100vh - 100px))", display: "none", flexDirection: "column", background: "#fff",
    borderRadius: "10px", overflow: "hidden", boxShadow: "0 8px 30px rgba(0,0,0,.3)"
  });
  panel.style[side] = "12px";
  panel.id = "gongkai-widget-panel";
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", label);

  var bar = css(document.createElement("div"), {
    display: "flex", alignItems: "center", justifyContent: "space-between", padding: "8px 12px",
    background: "#c4161c", color: "#fff", font: "600 15px/1.2 sans-serif"
  });
  var title = document.createElement("span");
  title.textContent = agency ? label + " · " + agency : label;
  var close = css(document.createElement("button"), {
    border: "none", background: "transparent", color: "#fff", font: "20px/1 sans-serif", cursor: "pointer"
  });
  close.type = "button";
  close.textContent = "×";
  close.setAttribute("aria-label", "关闭");
  bar.appendChild(title);
  bar.appendChild(close);
  panel.appendChild(bar);

  var frame = null;
  function open() {
    if (!frame) {
      frame = css(document.createElement("iframe"), { flex: "1", width: "100%", border: "0" });
      frame.id = "gongkai-widget-frame";
      frame.title = label;
      frame.src = chatUrl;
      frame.setAttribute("allow", "clipboard-write");
      frame.setAttribute("referrerpolicy", "strict-origin-when-cross-origin");
      // A source card opens its report page in a new tab, as a page of its own (not sandboxed).
      frame.setAttribute(
        "sandbox",
        "allow-scripts allow-same-origin allow-forms allow-popups allow-popups-to-escape-sandbox"
      );
      panel.appendChild(frame);
    }
    panel.style.display = "flex";
    button.setAttribute("aria-expanded", "true");
  }
  function hide() {
    panel.style.display = "none";
    button.setAttribute("aria-expanded", "false");
  }
  button.addEventListener("click", function () { if (panel.style.display === "none") { open(); } else { hide(); } });
  close.addEventListener("click", hide);

  function mount() {
    document.body.appendChild(panel);
    document.body.appendChild(button);
  }
  if (document.body) { mount(); } else { document.addEventListener("DOMContentLoaded", mount); }
})();
