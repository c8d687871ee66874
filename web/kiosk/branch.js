// Whether the branch is issuing tickets: a kiosk may not subscribe to
// events, so it asks queue.snapshot every 5 s.  Open means at least one
// window is open or paused (a paused teller is still at work); none means
// closed.  A daemon that cannot be reached is offline, and the next
// answer brings the kiosk back by itself.

import { ApiError, op } from "/lib/api.js";
import { observe } from "/lib/time.js";

const POLL_MS = 5000;

// onState({ online, open }) after every poll.
export function watchBranch(onState) {
	async function poll() {
		try {
			const snap = await op("queue.snapshot");
			observe(snap.now);
			const open = (snap.windows ?? []).some((w) => w.state !== "closed");
			onState({ online: true, open });
		} catch (e) {
			if (e instanceof ApiError && e.status === 401) {
				location.reload();	// the session ended: back to the sign-in form
				return;
			}
			onState({ online: false, open: false });
		} finally {
			setTimeout(poll, POLL_MS);
		}
	}
	poll();
}
