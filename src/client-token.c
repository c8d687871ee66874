/*
 * branchq token: a new terminal token and its line for the configuration.
 * Nothing is sent anywhere: the daemon keeps only the token's SHA-256
 * (token_sha256), so the token itself is shown once, here, and goes to the
 * terminal (branchq --token, the pages' sign-in form, a bearer header).
 *
 * 32 random bytes (256 bits, as many as the hash keeps) from OpenSSL's
 * RAND_bytes, written in base64url without padding: 43 characters of
 * A-Z a-z 0-9 - _, shorter to type at a kiosk than 64 hex digits, and none
 * that a shell, JSON, an HTTP header or "ID:TOKEN" would need quoted.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "client.h"

#define TOKEN_BYTES	32
#define TOKEN_CHARS	43	/* base64url of 32 bytes, unpadded */

static const char *const token_roles[] = {
	"kiosk", "display", "teller", "lobby", "supervisor", NULL
};

/* RFC 4648 §5, no padding; out holds 4 * ceil(n / 3) + 1. */
static void
base64url(const unsigned char *in, size_t n, char *out)
{
	static const char	abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned long		v;
	size_t			i, k;

	for (i = 0; i < n; i += 3) {
		v = (unsigned long)in[i] << 16;
		if (i + 1 < n)
			v |= (unsigned long)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		for (k = 0; k < 4 && k <= n - i; k++)
			*out++ = abc[(v >> (18 - 6 * k)) & 0x3f];
	}
	*out = '\0';
}

/* The daemon's rule for terminal and staff ids: 1 to 32 of A-Z a-z 0-9 _ -. */
static bool
token_valid_id(const char *s)
{
	size_t	n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_-");

	return n > 0 && n <= 32 && s[n] == '\0';
}

/* branchq token [--terminal ID --role ROLE [--staff S]] */
int
token_run(int argc, char **argv)
{
	const char	*id = NULL, *role = NULL, *staff = NULL, **dst;
	unsigned char	 raw[TOKEN_BYTES], hash[32];
	unsigned int	 hlen = 0;
	char		 token[TOKEN_CHARS + 2], hex[65];
	bool		 needs_staff;
	int		 i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--terminal") == 0)
			dst = &id;
		else if (strcmp(argv[i], "--role") == 0)
			dst = &role;
		else if (strcmp(argv[i], "--staff") == 0)
			dst = &staff;
		else
			return usage_error("token: unknown argument %s", argv[i]);
		if (++i == argc)
			return usage_error("token: %s needs a value", argv[i - 1]);
		*dst = argv[i];
	}
	if ((id != NULL) != (role != NULL) || (staff != NULL && id == NULL))
		return usage_error("token: --terminal and --role go together "
		    "(and --staff with them)");
	if (id != NULL) {
		if (!token_valid_id(id))
			return usage_error("token: --terminal: 1 to 32 characters of "
			    "A-Z a-z 0-9 _ -");
		if (!name_in(role, token_roles))
			return usage_error("token: --role: one of kiosk, display, "
			    "teller, lobby, supervisor");
		needs_staff = strcmp(role, "kiosk") != 0 && strcmp(role, "display") != 0;
		if (needs_staff && staff == NULL)
			return usage_error("token: --staff: required for a %s", role);
		if (!needs_staff && staff != NULL)
			return usage_error("token: --staff: a %s is nobody's", role);
		if (staff != NULL && !token_valid_id(staff))
			return usage_error("token: --staff: 1 to 32 characters of "
			    "A-Z a-z 0-9 _ -");
	}

	if (RAND_bytes(raw, sizeof raw) != 1)
		return cl_fail("token: no random bytes from OpenSSL");
	base64url(raw, sizeof raw, token);
	if (EVP_Digest(token, strlen(token), hash, &hlen, EVP_sha256(), NULL) != 1 ||
	    hlen != sizeof hash)
		return cl_fail("token: SHA-256 failed");
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", hash[i]);
	printf("token: %s\n", token);
	if (id == NULL)
		printf("\"token_sha256\": \"%s\"\n", hex);
	else if (staff == NULL)
		printf("{\"id\": \"%s\", \"role\": \"%s\", \"token_sha256\": \"%s\"}\n",
		    id, role, hex);
	else
		printf("{\"id\": \"%s\", \"role\": \"%s\", \"staff\": \"%s\", "
		    "\"token_sha256\": \"%s\"}\n", id, role, staff, hex);
	explicit_bzero(raw, sizeof raw);
	explicit_bzero(token, sizeof token);
	return CL_EXIT_OK;
}
