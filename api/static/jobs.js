// The jobs page: live like every page that shows a status (static/live.js follows the ETag of
// GET /ui/counts and swaps in the server's fresh figures when it changes).
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("page-config").textContent);
  window.Live.follow({ url: config.url, version: config.version, interval: config.poll_ms })();
})();
