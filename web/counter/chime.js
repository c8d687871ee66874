// A short two-note tone made in the browser (Web Audio), for "a customer
// is waiting": no sound file to ship.  Browsers start audio only after the
// person has touched the page, so the context is made (or resumed) on the
// first key or click too.

let context = null;

function audio() {
	if (context === null) {
		const Ctx = window.AudioContext ?? window.webkitAudioContext;
		if (!Ctx)
			return null;
		context = new Ctx();
	}
	if (context.state === "suspended")
		context.resume().catch(() => {});
	return context;
}

for (const name of ["keydown", "pointerdown"])
	window.addEventListener(name, () => audio(), { once: true, capture: true });

export function chime() {
	const ctx = audio();
	if (ctx === null)
		return;
	const start = ctx.currentTime;
	for (const [freq, at] of [[880, 0], [660, 0.18]]) {
		const osc = ctx.createOscillator();
		const gain = ctx.createGain();
		osc.type = "sine";
		osc.frequency.value = freq;
		gain.gain.setValueAtTime(0.0001, start + at);
		gain.gain.exponentialRampToValueAtTime(0.3, start + at + 0.02);
		gain.gain.exponentialRampToValueAtTime(0.0001, start + at + 0.16);
		osc.connect(gain).connect(ctx.destination);
		osc.start(start + at);
		osc.stop(start + at + 0.18);
	}
}
