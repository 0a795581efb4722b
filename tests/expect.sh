# Helpers of the end-to-end test scripts (sourced): counters and `expect`.
passed=0
failed=0

# expect CODE SUBSTRING -- command...: the command exits with CODE and its output (stdout and
# stderr) holds SUBSTRING.
expect() {
  local code=$1 text=$2
  shift 3
  local out
  out=$("$@" 2>&1)
  local got=$?
  if [ "$got" -eq "$code" ] && [[ "$out" == *"$text"* ]]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: $* -> exit $got (want $code), output: ${out:0:300} (want '$text')"
  fi
}
