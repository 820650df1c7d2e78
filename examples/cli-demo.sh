#!/usr/bin/env bash
# The polypay CLI on the gateways' documented examples (signatures, a Payment Page URL, a
# Hosted Payment Page link and form, verified callbacks), then Commerce API calls against a
# local sandbox. Usage: cli-demo.sh PATH/TO/polypay
set -euo pipefail
polypay=${1:-polypay}

# Secrets never go on the command line (ps and shell history show it): they come from the
# environment (export, e.g. from a secrets manager) or from --secret-file FILE (- for stdin).
secret_dir=$(mktemp -d)
chmod 700 "$secret_dir"
trap 'rm -rf "$secret_dir"' EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$1"; }
ok() { printf '   -> %s\n' "$1"; }

step "ecommpay: sign the documented purchase (secret \"secret\", exported), showing the string to sign"
export POLYPAY_ECOMMPAY_SECRET=secret   # the documentation's key; a real one comes from a secrets manager
docs_params='{"project_id":12345,"payment_id":"X03936","payment_amount":3550,"payment_currency":"USD","payment_description":"Guyliner purchase","customer_first_name":"Jack","customer_last_name":"Sparrow","customer_phone":"02081234567"}'
signature=$(printf '%s' "$docs_params" | "$polypay" ecommpay sign --explain 2>/tmp/polypay-demo-explain)
printf '   string to sign: %s\n' "$(cat /tmp/polypay-demo-explain)"
ok "signature: $signature"
[ "$signature" = "e+kuzNpbptuGG4G7WxjuT8EFh90v2eMCh2EQ4y+hq5XX/aptGzhpi7a0uk/c7HdXj7M2o33WLrMNLEKD8yl3Kg==" ] \
  && ok "matches the signature published in ecommpay's documentation"

step "ecommpay: the signed Payment Page URL (interface_type {\"id\": 99} as in the docs)"
url_params='{"project_id":12345,"interface_type":"{\"id\": 99}","payment_id":"X03936","payment_amount":3550,"payment_currency":"USD","payment_description":"Guyliner purchase","customer_first_name":"Jack","customer_last_name":"Sparrow","customer_phone":"02081234567"}'
ok "$(printf '%s' "$url_params" | "$polypay" ecommpay url)"

step "ecommpay: a callback, signed then verified (and a tampered copy rejected)"
callback='{"project_id":12345,"payment":{"id":"X03936","type":"purchase","status":"success","sum":{"amount":3550,"currency":"USD"}},"operation":{"id":1000000000001,"type":"sale","status":"success"}}'
cb_signature=$(printf '%s' "$callback" | "$polypay" ecommpay sign)
signed_callback="${callback%\}},\"signature\":\"$cb_signature\"}"
ok "verified: $(printf '%s' "$signed_callback" | "$polypay" ecommpay verify)"
if printf '%s' "${signed_callback/3550/1}" | "$polypay" ecommpay verify 2>/tmp/polypay-demo-err; then
  echo "   !! a tampered callback verified" >&2; exit 1
else
  ok "tampered amount rejected: $(cat /tmp/polypay-demo-err)"
fi

step "PayCore: X-Signature of a callback body (secret sk_test_EXAMPLEKEY, from a file)"
body='{"data":{"type":"payment-invoices","id":"cpi_TEST123","attributes":{"status":"processed","resolution":"ok","reference_id":"order-1","amount":100,"currency":"USD","test_mode":true}}}'
printf 'sk_test_EXAMPLEKEY\n' >"$secret_dir/paycore_sk"   # one trailing newline is stripped
printf '%s' "$body" >"$secret_dir/callback.json"
x_signature=$(printf '%s' "$body" | "$polypay" paycore sign --secret-file "$secret_dir/paycore_sk")
ok "X-Signature: $x_signature"
# The key on stdin (--secret-file -), the body from a file (--body @FILE).
ok "verified: $(cat "$secret_dir/paycore_sk" | "$polypay" paycore verify --secret-file - \
  --body "@$secret_dir/callback.json" --signature "$x_signature")"
if printf '%s' "$body" | "$polypay" paycore verify --secret-file "$secret_dir/paycore_sk" \
     --signature 47b6b632e0b6130882d8c3c577ef0936fd33f63c 2>/tmp/polypay-demo-err; then
  echo "   !! a hex signature verified" >&2; exit 1
else
  ok "hex digest instead of base64 explained: $(cat /tmp/polypay-demo-err)"
fi

step "PayCore: Hosted Payment Page link (Paymega) and the auto-redirect form"
hpp='{"public_key":"pk_test_ClSQHi2T9WXuFa76WcwwBB6rspRpg6ANM69cS9zNOJy","amount":"123.45","currency":"USD","reference_id":"7135b08b-701b-4fbc-a7d2-b2763d96d415","description":"Invoice Example","customer":{"reference_id":"cust-1","email":"jane@example.com"},"return_url":"https://shop.example.com/orders/1"}'
ok "$(printf '%s' "$hpp" | "$polypay" paycore hpp-url --env paymega)"
# The form creates the invoice and goes straight to the provider: it names the service.
printf '%s' "${hpp%\}},\"service\":\"payment_card_usd_hpp\"}" >"$secret_dir/hpp.json"
"$polypay" paycore hpp-form --env paymega --json "@$secret_dir/hpp.json" | sed 's/^/   /'

step "Bad input is refused before anything is sent"
if printf '%s' '{"public_key":"pk_test_x","amount":"10.001","currency":"USD"}' | "$polypay" paycore hpp-url 2>/tmp/polypay-demo-err; then
  echo "   !! bad amount accepted" >&2; exit 1
else
  ok "$(cat /tmp/polypay-demo-err)"
fi
step "The Commerce API against the local sandbox (polypay sandbox --port 0 --print-config)"
config_file=$(mktemp)
"$polypay" sandbox --port 0 --print-config >"$config_file" 2>/dev/null &
sandbox_pid=$!
trap 'kill $sandbox_pid 2>/dev/null || true; rm -f "$config_file"; rm -rf "$secret_dir"' EXIT
for _ in $(seq 50); do [ -s "$config_file" ] && break; sleep 0.1; done
field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval('d'+sys.argv[2]))" "$config_file" "$1"; }
export POLYPAY_BASE_URL=$(field "['base_url']")
export POLYPAY_ACCOUNT_ID=$(field "['paycore']['account_id']")
field "['paycore']['api_key']" >"$secret_dir/api_key"   # the API key stays in a file
api() { "$polypay" paycore api "$@" --api-key-file "$secret_dir/api_key"; }
export POLYPAY_PUBLIC_KEY=$(field "['paycore']['public_key_test']")
ok "sandbox at $POLYPAY_BASE_URL"
jget() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
reference="demo-$(date +%s)"
printf '{"reference_id": "%s", "amount": "100.55", "currency": "USD", "service": "test_usd_test", "service_fields": {"status": "success"}}' \
  "$reference" >"$secret_dir/invoice.json"
invoice=$(api create-payment-invoice --json "@$secret_dir/invoice.json")
id=$(printf '%s' "$invoice" | jget "['id']")
ok "created $id for $reference: status $(printf '%s' "$invoice" | jget "['status']"), amount $(printf '%s' "$invoice" | jget "['amount']") USD"
ok "get: $(api get-payment-invoice --id "$id" | jget "['status']")"
refund=$(api refund-payment-invoice --id "$id" --json '{"amount": "40.55"}')
ok "refund $(printf '%s' "$refund" | jget "['id']") of 40.55; invoice now $(api get-payment-invoice --id "$id" | jget "['status']")"
again=$(api create-payment-invoice --json "{\"reference_id\": \"$reference\", \"amount\": \"100.55\", \"currency\": \"USD\", \"service\": \"test_usd_test\"}")
if [ "$(printf '%s' "$again" | jget "['id']")" = "$id" ]; then
  ok "the same reference_id again returns the existing invoice (409 reconciled), nothing doubled"
else
  echo "   !! a second invoice was created for $reference" >&2; exit 1
fi
payout=$(api create-payout-invoice --json '{"amount": "25", "currency": "USD", "service": "test_usd", "fields": {"account": "12345"}}')
ok "payout $(printf '%s' "$payout" | jget "['id']"): $(printf '%s' "$payout" | jget "['status']")"
if api get-payment-invoice --id cpi_does_not_exist 2>/tmp/polypay-demo-err; then
  echo "   !! a missing invoice was found" >&2; exit 1
else
  ok "a missing invoice is a typed error (exit $?): $(cat /tmp/polypay-demo-err)"
fi

rm -f /tmp/polypay-demo-explain /tmp/polypay-demo-err
printf '\n\033[1mdemo finished: every result above was computed by polypay and checked\033[0m\n'
