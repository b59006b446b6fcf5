# shellcheck shell=sh
# The repository check of a digest: the repository holds it. Header: digest, missing (the
# refusal when it does not, registry/repository.ts missingDigestMessage).
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
request HEAD "/manifests/$digest" "$accept"
[ "$code" != 404 ] || fail "$missing"
expect "HEAD manifest $repo@$digest" 200
