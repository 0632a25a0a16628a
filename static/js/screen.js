/* The big screen's full-screen button (the Fullscreen API needs a click). */
(function () {
  "use strict";
  var button = document.querySelector("[data-fullscreen]");
  if (!button || !document.documentElement.requestFullscreen) return;
  button.addEventListener("click", function () {
    if (document.fullscreenElement) document.exitFullscreen();
    else document.documentElement.requestFullscreen();
  });
})();
