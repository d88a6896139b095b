// The console's shell: sign-in gate, navigation between views (#/avatars, #/videos,
// #/studio, #/voices, #/account), focus moved to each view's heading for keyboard and
// screen-reader users.

import { session } from "./api.js";
import { stopAll } from "./poller.js";
import { clear, h } from "./ui.js";
import { renderAccount } from "./views/account.js";
import { renderAvatars } from "./views/avatars.js";
import { renderSignIn } from "./views/signin.js";
import { renderStudio } from "./views/studio.js";
import { renderVideos } from "./views/videos.js";
import { renderVoices } from "./views/voices.js";

const VIEWS = {
  avatars: renderAvatars,
  videos: renderVideos,
  studio: renderStudio,
  voices: renderVoices,
  account: renderAccount,
};

/** "#/videos?avatar=av_..." -> ["videos", URLSearchParams]. */
function route() {
  const [name, query] = location.hash.replace(/^#\/?/, "").split("?");
  return [name || "avatars", new URLSearchParams(query || "")];
}

function signOut() {
  stopAll();
  session.clear();
  location.hash = "#/avatars";
  show();
}

function markCurrent(name) {
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.getAttribute("href") === `#/${name}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

async function show() {
  const main = document.getElementById("main");
  const signedIn = Boolean(session.key);
  document.getElementById("nav").hidden = !signedIn;
  document.getElementById("signout").hidden = !signedIn;
  stopAll();
  document.getElementById("status").textContent = "";
  if (!signedIn) {
    clear(main);
    renderSignIn(main, show);
    return;
  }
  const [name, params] = route();
  const render = VIEWS[name] || VIEWS.avatars;
  markCurrent(VIEWS[name] ? name : "avatars");
  clear(main);
  try {
    await render(main, params);
  } catch (error) {
    if (error.status === 401) {
      signOut();
      return;
    }
    main.append(h("h1", {}, "Something went wrong"), h("p", { role: "alert" }, `${error.message}`));
  }
  const heading = main.querySelector("h1");
  // Unless the user is already in the view (typing while its lists load).
  const inView = main.contains(document.activeElement) && document.activeElement !== main;
  if (heading && !inView) {
    heading.tabIndex = -1;
    heading.focus({ preventScroll: true });
  }
}

document.getElementById("signout").addEventListener("click", signOut);
window.addEventListener("hashchange", show);
show();
