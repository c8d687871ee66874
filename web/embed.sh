#!/bin/sh
# Turns web/ files into C initialisers for src/webfiles.c, one per file:
#   { "/url", "content type", "\"etag\"", length, (const unsigned char *)"\x.." },
# web/index.html is "/", web/NAME/index.html is "/NAME", any other file
# web/PATH is "/PATH".  An argument /URL=FILE serves a file from elsewhere
# (Debian's Chart.js, the generated sound clips) at /URL.  The ETag is the
# start of the file's SHA-256.
set -eu
for arg in "$@"; do
	case "$arg" in
	/*=*)	url=${arg%%=*}; f=${arg#*=} ;;
	*)	f=$arg
		rel=${f#web/}
		case "$rel" in
		index.html)	url=/ ;;
		*/index.html)	url=/${rel%/index.html} ;;
		*)		url=/$rel ;;
		esac ;;
	esac
	case "$f" in
	*.html)		type="text/html; charset=utf-8" ;;
	*.css)		type="text/css; charset=utf-8" ;;
	*.js|*.mjs)	type="text/javascript; charset=utf-8" ;;
	*.json)		type="application/json" ;;
	*.svg)		type="image/svg+xml" ;;
	*.ico)		type="image/x-icon" ;;
	*.png)		type="image/png" ;;
	*.ogg)		type="audio/ogg" ;;
	*.wav)		type="audio/wav" ;;
	*.mp3)		type="audio/mpeg" ;;
	*.woff2)	type="font/woff2" ;;
	*)		type="application/octet-stream" ;;
	esac
	etag=$(sha256sum "$f" | cut -c1-20)
	len=$(wc -c < "$f")
	printf '{ "%s", "%s", "\\"%s\\"", %s, (const unsigned char *)\n' "$url" "$type" "$etag" \
	    "$len"
	od -An -v -tx1 "$f" | sed -e 's/ *$//' -e 's/ /\\x/g' -e 's/^/"/' -e 's/$/"/'
	printf '"" },\n'
done
