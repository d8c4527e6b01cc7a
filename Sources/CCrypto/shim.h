// SHA-256 from OpenSSL's libcrypto (Debian's libssl-dev). OpenSSL 3 marks the SHA256_* calls
// deprecated in favour of EVP, whose contexts are heap objects; they remain supported and run the
// same assembly (the CPU's SHA extensions where it has them), on a context that is a plain value.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
