// The agenda shows times in the recruiter's own zone: the first visit without ?tz= reloads
// once with the browser's zone (without JavaScript the deployment's zone stays).
(function () {
  var page = document.getElementById("agenda-page");
  if (!page || page.dataset.tzGiven === "yes") return;
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!zone) return;
  var url = new URL(window.location.href);
  url.searchParams.set("tz", zone);
  window.location.replace(url.toString());
})();
