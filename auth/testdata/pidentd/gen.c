/*
 * gen.c makes the test vector of TestIdentDecryptOpenSSLVector: a reply
 * encrypted as pidentd's -E option encrypts it, with OpenSSL's libdes
 * (DES_string_to_key, DES_ecb_encrypt), so that our Go decryption is
 * checked against the C library pidentd links, not against itself.
 *
 *   gcc -o gen gen.c -lcrypto -Wno-deprecated-declarations
 *   ./gen identd.key UID CLIENTPORT SERVERPORT
 *
 * It uses the LAST complete 1024-byte key of the file, as pidentd does.
 */
#include <arpa/inet.h>
#include <openssl/des.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
	if (argc != 5) {
		fprintf(stderr, "usage: gen KEYFILE UID CLIENTPORT SERVERPORT\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "rb");
	char key[1025], got[1024];
	int have = 0;
	while (fread(got, 1, sizeof got, f) == sizeof got) {
		memcpy(key, got, sizeof got);
		have = 1;
	}
	if (!have)
		return 1;
	key[1024] = 0;
	DES_cblock kb;
	DES_key_schedule ks;
	DES_string_to_key(key, &kb);
	DES_set_key_unchecked(&kb, &ks);

	unsigned char p[24];
	uint32_t w;
	uint16_t h;
	memset(p, 0, sizeof p);
	h = htons(0x1234); memcpy(p + 4, &h, 2);                 /* random */
	h = htons((uint16_t)atoi(argv[2])); memcpy(p + 6, &h, 2); /* uid */
	w = htonl(1700000000); memcpy(p + 8, &w, 4);              /* date */
	w = htonl(0x7f000001); memcpy(p + 12, &w, 4);             /* client address */
	memcpy(p + 16, &w, 4);                                    /* our address */
	h = htons((uint16_t)atoi(argv[3])); memcpy(p + 20, &h, 2);
	h = htons((uint16_t)atoi(argv[4])); memcpy(p + 22, &h, 2);
	for (int i = 4; i < 24; i++)
		p[i % 4] ^= p[i]; /* the checksum word makes the XOR of all words zero */
	for (int b = 0; b < 3; b++) {
		if (b > 0)
			for (int i = 0; i < 8; i++)
				p[8 * b + i] ^= p[8 * (b - 1) + i];
		DES_ecb_encrypt((DES_cblock *)(p + 8 * b), (DES_cblock *)(p + 8 * b), &ks, DES_ENCRYPT);
	}
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	for (int i = 0; i < 24; i += 3) {
		putchar(b64[p[i] >> 2]);
		putchar(b64[((p[i] & 3) << 4) | (p[i + 1] >> 4)]);
		putchar(b64[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)]);
		putchar(b64[p[i + 2] & 63]);
	}
	putchar('\n');
	return 0;
}
