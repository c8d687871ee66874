#!/bin/sh
# The lobby display's recorded clips (docs/DISPLAY.md): a chime and the
# words of "请 A012 号到 3 号窗口" / "Number A012, please go to window 3",
# spoken by espeak-ng (voices cmn and en-us), trimmed of silence and
# resampled to 11,025 Hz mono 8-bit WAV with Python's standard library, so
# the whole set stays under 300 KB (the speech has little above 5 kHz, and
# a lobby is no studio).  The page (web/display/sound.js)
# strings them together; the Makefile embeds them as /display/sounds/NAME.wav.
#
#   sh web/display/make-clips.sh --list     the clip names, one a line
#   sh web/display/make-clips.sh DIR        writes DIR/NAME.wav for each
#
# The output depends only on espeak-ng's version and this file.
set -eu

# name <TAB> voice <TAB> text.  Digits are spoken one by one in a ticket
# number (A012: A 零 一 二 / A zero one two); windows 1-99 as numbers
# (十, 二十三 / ten, twenty-three), so English has the teens and the tens.
clips() {
	cat <<'EOF'
zh-qing	cmn	请
zh-hao-dao	cmn	号到
zh-hao-chuangkou	cmn	号窗口
zh-A	cmn	A
zh-S	cmn	S
zh-E	cmn	E
zh-V	cmn	V
zh-0	cmn	零
zh-1	cmn	一
zh-2	cmn	二
zh-3	cmn	三
zh-4	cmn	四
zh-5	cmn	五
zh-6	cmn	六
zh-7	cmn	七
zh-8	cmn	八
zh-9	cmn	九
zh-10	cmn	十
en-number	en-us	Number
en-please	en-us	please go to window
en-A	en-us	A.
en-S	en-us	S.
en-E	en-us	E.
en-V	en-us	V.
en-0	en-us	zero
en-1	en-us	one
en-2	en-us	two
en-3	en-us	three
en-4	en-us	four
en-5	en-us	five
en-6	en-us	six
en-7	en-us	seven
en-8	en-us	eight
en-9	en-us	nine
en-10	en-us	ten
en-11	en-us	eleven
en-12	en-us	twelve
en-13	en-us	thirteen
en-14	en-us	fourteen
en-15	en-us	fifteen
en-16	en-us	sixteen
en-17	en-us	seventeen
en-18	en-us	eighteen
en-19	en-us	nineteen
en-20	en-us	twenty
en-30	en-us	thirty
en-40	en-us	forty
en-50	en-us	fifty
en-60	en-us	sixty
en-70	en-us	seventy
en-80	en-us	eighty
en-90	en-us	ninety
EOF
}

if [ "${1:-}" = "--list" ]; then
	echo chime
	clips | cut -f1
	exit 0
fi
if [ $# -ne 1 ]; then
	echo "usage: $0 --list | $0 OUTDIR" >&2
	exit 2
fi
out=$1
if ! command -v espeak-ng >/dev/null 2>&1; then
	echo "make-clips.sh: espeak-ng is missing (apt-get install espeak-ng): it speaks the lobby display's calls" >&2
	exit 2
fi
PYTHON=${PYTHON:-/usr/bin/python3}
mkdir -p "$out"
raw=$(mktemp -d "${TMPDIR:-/tmp}/bq-clips.XXXXXX")
trap 'rm -rf "$raw"' EXIT INT TERM

tab=$(printf '\t')
# A little quicker than espeak-ng's 175 words a minute: a call is said in
# about 8 s, chime included, and a busy lobby hears the next one sooner.
clips | while IFS=$tab read -r name voice text; do
	espeak-ng -v "$voice" -s 195 -w "$raw/$name.wav" "$text"
done

"$PYTHON" - "$raw" "$out" <<'EOF'
import math, os, struct, sys, wave

RATE = 11025
raw_dir, out_dir = sys.argv[1], sys.argv[2]

def read(path):
    with wave.open(path) as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 2, path
        rate = w.getframerate()
        data = w.readframes(w.getnframes())
    return rate, list(struct.unpack(f"<{len(data) // 2}h", data))

# 8-bit WAV is unsigned, 128 the silence.
def write(path, samples, gain=1.0):
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(RATE)
        w.writeframes(bytes(max(1, min(255, 128 + round(s * gain / 256))) for s in samples))

def trim(x, rate, threshold=400, margin_s=0.02):
    loud = [i for i, s in enumerate(x) if abs(s) > threshold]
    if not loud:
        return x
    m = int(rate * margin_s)
    return x[max(0, loud[0] - m):loud[-1] + m]

# A windowed-sinc low-pass at 0.45 of the new rate, then keep every
# (rate / RATE)-th sample, linearly interpolated: espeak-ng speaks at
# 22,050 Hz, so this halves it.
def resample(x, rate):
    if rate == RATE:
        return x
    step = rate / RATE
    cutoff = 0.45 / step
    taps = 31
    h = []
    for k in range(taps):
        n = k - (taps - 1) / 2
        sinc = 2 * cutoff if n == 0 else math.sin(2 * math.pi * cutoff * n) / (math.pi * n)
        h.append(sinc * (0.54 - 0.46 * math.cos(2 * math.pi * k / (taps - 1))))
    total = sum(h)
    h = [v / total for v in h]
    half = (taps - 1) // 2
    padded = [0] * half + x + [0] * half
    def filtered(i):
        return sum(h[k] * padded[i + k] for k in range(taps))
    out = []
    t = 0.0
    while t < len(x) - 1:
        i = int(t)
        f = t - i
        a = filtered(i)
        out.append(a if f == 0 else a * (1 - f) + filtered(i + 1) * f)
        t += step
    return out

def fade(x, n=40):
    n = min(n, len(x) // 2)
    for i in range(n):
        x[i] *= i / n
        x[-1 - i] *= i / n
    return x

# Ding-dong: E5 then C5, each a bell-like tone (fundamental, octave,
# twelfth) with an exponential decay.
def chime():
    out = []
    for freq, length in ((659.25, 0.4), (523.25, 0.75)):
        for i in range(int(RATE * length)):
            t = i / RATE
            env = math.exp(-t * 4.0) * min(1.0, t / 0.005)
            v = (math.sin(2 * math.pi * freq * t) + 0.35 * math.sin(4 * math.pi * freq * t)
                 + 0.12 * math.sin(6 * math.pi * freq * t))
            out.append(20000 * env * v)
    return fade(out)

write(os.path.join(out_dir, "chime.wav"), chime())
speech = {}
for name in sorted(os.listdir(raw_dir)):
    rate, x = read(os.path.join(raw_dir, name))
    speech[name] = fade(resample(trim(x, rate), rate))
# One gain for every word, so they keep espeak-ng's relative loudness and
# the loudest peaks near full scale (8 bits have no room to waste).
gain = 0.9 * 32767 / max(max(abs(s) for s in x) for x in speech.values())
for name, x in speech.items():
    write(os.path.join(out_dir, name), x, gain)
EOF
