// Small progressive enhancements; every page works without this file.
document.addEventListener("click", function (event) {
  var target = event.target.closest("[data-print]");
  if (target) { event.preventDefault(); window.print(); }
  var confirmer = event.target.closest("[data-confirm]");
  if (confirmer && !window.confirm(confirmer.getAttribute("data-confirm"))) { event.preventDefault(); }
});

// Live countdowns for deadlines: <span data-due="ISO"> shows "in 1 h 20 min" or "overdue 5 min".
(function () {
  var lang = (document.documentElement.lang || "zh-CN").slice(0, 2);
  function fmt(ms) {
    var m = Math.round(Math.abs(ms) / 60000), h = Math.floor(m / 60), d = Math.floor(h / 24);
    if (lang === "en") {
      var t = d ? d + " d " + (h % 24) + " h" : h ? h + " h " + (m % 60) + " min" : m + " min";
      return ms < 0 ? "overdue " + t : "in " + t;
    }
    var z = d ? d + " 天 " + (h % 24) + " 小时" : h ? h + " 小时 " + (m % 60) + " 分" : m + " 分钟";
    return ms < 0 ? "已超时 " + z : "剩余 " + z;
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-due]").forEach(function (el) {
      var ms = Date.parse(el.getAttribute("data-due")) - now;
      el.setAttribute("title", el.getAttribute("title") || el.textContent);
      el.textContent = fmt(ms);
      el.classList.toggle("overdue", ms < 0);
      el.classList.toggle("due-soon", ms >= 0 && ms < 3600000);
    });
  }
  tick();
  setInterval(tick, 30000);
})();
