// A page whose screen is still being built: signs in (page.js) and says
// who this device is.  <body data-page="kiosk" data-roles="kiosk,lobby">.

import { signOutButton, start } from "/lib/page.js";

const page = document.body.dataset.page;
const who = await start({ page, roles: document.body.dataset.roles.split(",") });
const p = document.createElement("p");
p.textContent = `${who.terminal} (${who.role})`;
document.querySelector("main").replaceChildren(p, signOutButton());
