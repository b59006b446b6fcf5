# shellcheck shell=sh
# one_line: service output (an answer, an error) as one redacted line for a message; never an
# empty reason at the end of one.
# shellcheck disable=SC2154,SC2034 # variables and functions of the other parts of the script
one_line() { line=$(redact | tr '\n\r\t' '   ' | sed 's/  *$//' | cut -c1-300); printf '%s\n' "${line:-no answer (empty response)}"; }
