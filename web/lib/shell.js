// A page not yet built (issue 17 builds the four screens): after sign-in it
// says who this device is and offers to sign out.

import { signOut } from "/lib/api.js";
import { session } from "/lib/signin.js";

const root = document.querySelector("main");
const who = await session(root);
const p = document.createElement("p");
p.textContent = `已登录：${who.terminal}（${who.role}）· Signed in as ${who.terminal} (${who.role})`;
const button = document.createElement("button");
button.type = "button";
button.textContent = "退出 · Sign out";
button.addEventListener("click", async () => {
	await signOut();
	location.reload();
});
root.replaceChildren(p, button);
