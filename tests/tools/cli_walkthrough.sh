#!/usr/bin/env bash
# The README's walkthrough, run for real: one manual car booking driven from
# request to fee with the tripdesk CLI against a fresh tripdeskd.
# Usage: cli_walkthrough.sh TRIPDESKD TRIPDESK
set -euo pipefail
tripdeskd=$1
cli=$2
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT

source "$(dirname "$0")/tripdeskd.sh"
start_tripdeskd "$tripdeskd" "$work/log" --data_dir="$work/data"

tripdesk() { "$cli" --server="127.0.0.1:$port" --dev_dir="$work/data/dev" "$@"; }
expect() {  # expect WORDS -- COMMAND...: the command's output must contain WORDS
  local words=$1; shift 2
  local out
  out=$("$@" 2>&1) || { echo "FAILED: $*"; echo "$out"; exit 1; }
  grep -q -- "$words" <<<"$out" || { echo "expected '$words' from: $*"; echo "$out"; exit 1; }
}
# The README's `date` reads the server's clock: its day, fixed for the run
# (see tripdeskd.sh), so the walkthrough never straddles UTC midnight.
date() {
  local args=() rel=""
  while [ $# -gt 0 ]; do
    case $1 in -d) rel=$2; shift 2 ;; *) args+=("$1"); shift ;; esac
  done
  command date -d "$test_clock_start $rel" "${args[@]}"
}
pickup=$(date -u -d '+7 days' +%Y-%m-%dT17:00:00Z)
dropoff=$(date -u -d '+10 days' +%Y-%m-%dT17:00:00Z)

# The README shows these blocks line for line.
readme="$(dirname "$0")/../../README.md"
for marker in "README WALKTHROUGH" "README RV WALKTHROUGH" "README FLEET" "README FLIGHT CHANGE" \
              "README STEPS" "README AUDIT" "README TIME"; do
  sed -n "/^# --- BEGIN $marker ---/,/^# --- END $marker ---/p" "$0" | sed '1d;$d' |
    while IFS= read -r line; do
      grep -qxF -- "$line" "$readme" || { echo "README lacks walkthrough line: $line"; exit 1; }
    done
done

# The command list is the server's declared steps, with their roles.
expect "case save_reservation (or case open)" -- tripdesk case commands
expect "roles: tech_spoc; after: AWAITING_TECH_SPOC" -- tripdesk case commands
expect "case link_case --case_id" -- tripdesk case commands   # the steps every case has

# --- BEGIN README WALKTHROUGH ---
tripdesk case open --case_id=C42 --channel=email \
  --customer.name="Steven Peters" --customer.email=sp@example.com \
  --traveller_name="Steven Peters" --client_company=Acme \
  --ticket_ref=FD-1001 --queue=Support --requested_car="Intermediate SUV" \
  --pick_up.location=LAX --pick_up.time="$pickup" --pick_up.zone=America/Los_Angeles \
  --drop_off.location=SFO --drop_off.time="$dropoff" --drop_off.zone=America/Los_Angeles
tripdesk case identify_car C42 --car_class=IFAR --car_model="Toyota RAV4" --demo_trip_id=DEMO-7 \
  --pick_up.location=LAX --pick_up.time="$pickup" --pick_up.zone=America/Los_Angeles \
  --drop_off.location=SFO --drop_off.time="$dropoff" --drop_off.zone=America/Los_Angeles
tripdesk case record_il_check C42 --available=false --il_search_ref=IL-991
tripdesk --as=tech_spoc case decide_tech_spoc_approval C42 --approved
tripdesk case record_vendor_search C42 --source=gds --vendor_code=ZE --car_class=IFAR \
  --rate="USD 320.00"
tripdesk case send_quote C42 --amount="USD 450.00" \
  --approver_email=approver@acme.example
tripdesk case record_customer_response C42 --response=accepted
tripdesk case confirm_booking C42 --platform=options_travel --vendor_code=ZE \
  --manual_reservation_code=2220947 --confirmation_number=K9X2Q7 \
  --corporate_discount_id=CDP-55 --billing_number=BN-123 --membership_details="Gold 9876"
tripdesk case create_voucher C42 --voucher_number=V-1
tripdesk case verify_booking C42 --trip_id=TRIP-9 --vendor_code=ZE --driver_name="Steven Peters"
tripdesk case file_mis C42 --billing=bill_to_client_company --mis_reference=MIS-4
tripdesk case send_confirmation_email C42
tripdesk case mark_all_vouchers_sent C42
tripdesk case close_ticket C42 --notes="booked offline, vouchers sent" --transfer_to_us_queue
tripdesk case update_tracker C42 --tracker_ref=ROW-77
tripdesk case charge_service_fee C42     # prints "... log position 18" (its confirmation number claimed and released: 2 more)
tripdesk case show C42 --min_position=18  # waits until the views include position 18
tripdesk reservation show C42 --min_position=18
tripdesk tracker --company=Acme --min_position=18
# --- END README WALKTHROUGH ---

expect "COMPLETED (closed)" -- tripdesk case show C42 --min_position=18
expect "K9X2Q7" -- tripdesk reservation show C42 --min_position=18
expect "USD 25.00" -- tripdesk tracker --company=Acme --min_position=18
# The confirmation number was the case's while it was open, released once it completed.
expect "no (released)" -- tripdesk case find k9x2q7
expect "C42" -- tripdesk case find k9x2q7
# A step out of order is refused, prints its code and exits non-zero.
if out=$(tripdesk case create_voucher C42 --voucher_number=V-2 2>&1); then
  echo "a command on a closed case succeeded"; exit 1
fi
grep -q "FAILED_PRECONDITION" <<<"$out" || { echo "$out"; exit 1; }
expect '"state":"COMPLETED"' -- tripdesk --json case show C42 --min_position=18
# --json writes zero values too: a closed case says "open":false.
expect '"open":false' -- tripdesk --json case show C42 --min_position=18
echo "walkthrough: C42 driven from request to fee with the CLI"

# --- BEGIN README RV WALKTHROUGH ---
today=$(date -u +%Y-%m-%d); tomorrow=$(date -u -d '+1 day' +%Y-%m-%d)
rv7=(--workflow=rv --case_id=RV7 --booking_location=TUS
  --renter.name="KAREN SMITH" --renter.cell_phone=714-444-1212 --renter.email=smith@example.com
  --renter.address.line1="1 ANY PLACE" --renter.address.city=TUSTIN --renter.address.region=CA
  --pick_up.date="$today" --pick_up.location=TUS --drop_off.date="$tomorrow" --drop_off.location=TUS
  --passengers=4 --class_code=C25 --rate_code=FRD --pay_by_card --options='{"code":"GEN"}')
tripdesk case open "${rv7[@]}" --save_as=quote --alternate_dates --preview   # F8=EST: nothing written
tripdesk case open "${rv7[@]}" --save_as=reservation --deposit.amount="USD 250.00" \
  --deposit.card.token=tok_visa_4242 --deposit.card.last4=4242
tripdesk reservation show RV7 --min_position=20   # the estimate: USD 891.62, balance USD 641.62
tripdesk units available C25 --from_date="$today" --to_date="$tomorrow" --min_position=20
tripdesk case open_rental_agreement RV7 --vehicle_number=304359 --fuel_eighths=8 \
  --generator_tenths=880 --date_of_birth=1984-12-07 --licence.number=S123456 \
  --licence.region=CA --licence.expires=2030-12-07 \
  --deposit.amount="USD 641.62" --deposit.card.token=tok_visa_4242 --deposit.card.last4=4242
tripdesk case extend_rental_agreement RV7 --drop_off.date="$tomorrow" --drop_off.time=1800 \
  --deposit.amount="USD 200.00" --deposit.card.token=tok_mc_5555 --deposit.card.last4=5555
tripdesk case close_rental_agreement RV7 --odometer=22150 --fuel_eighths=7 \
  --generator_tenths=910 --returned.date="$tomorrow" --returned.time=1700 \
  --settle_to_card.token=tok_visa_4242 --settle_to_card.last4=4242   # two cards paid: choose one
tripdesk reservation show RV7 --min_position=29   # charges USD 426.52, balance USD -665.10: refunded
# --- END README RV WALKTHROUGH ---

expect "balance       USD -665.10" -- tripdesk reservation show RV7 --min_position=29
expect "RV_RA_CLOSED" -- tripdesk case show RV7 --min_position=9
# The unit is free again once its RA closed; a walk-up RA is refused.
expect "304359" -- tripdesk units available C25 --from_date="$today" --to_date="$tomorrow" --min_position=9
if out=$(tripdesk case open --workflow=rv --case_id=RV8 --booking_location=TUS --save_as=lead 2>&1); then
  echo "a lead without a name or phone was saved"; exit 1
fi
grep -q "INVALID_ARGUMENT" <<<"$out" || { echo "$out"; exit 1; }
echo "walkthrough: RV7 reserved, rented, extended and closed with a refund with the CLI"

# --- BEGIN README FLEET ---
start=$(date -u -d '+1 day' +%Y-%m-%dT09:00)            # London local time
tripdesk case open --workflow=fleet --case_id=FB1 --start="$start"
tripdesk case select_asset FB1 --asset_id=VAN-01
tripdesk case choose_options FB1 --duration_id=1d --mileage_id=300mi --extra_ids=sat-nav   # total GBP 134.40
account=$(tripdesk case add_account FB1 --account.name="Acme Ltd" --account.email=ops@acme.example \
  --account.company=Acme | sed -n 's/^account added *//p')   # the id the server gave
tripdesk --as=supervisor case approve_account FB1 --account_id="$account"
driver=$(tripdesk case add_driver FB1 --account_id="$account" --driver.name="Sam Driver" \
  --driver.licence_number=SAM1 --driver.licence_valid_until=2031-01-01 | sed -n 's/^driver added *//p')
tripdesk --as=supervisor case verify_driver FB1 --account_id="$account" --driver_id="$driver"
tripdesk case select_account FB1 --account_id="$account"   # one driver: selected with it
tripdesk case choose_handover FB1 --mode=delivery
tripdesk case create_booking FB1                            # the booking reference, e.g. UV6FDB34
tripdesk fleet bookings --asset_id=VAN-01                   # all bookings (--from_date, --account_id)
tripdesk fleet availability --from_date="${start:0:10}" --to_date="${start:0:10}" --asset_class=VAN
tripdesk fleet accounts --awaiting_approval=true            # and --drivers_awaiting_verification=true, --search=acme
# --- END README FLEET ---

reference=$(tripdesk reservation show FB1 | sed -n 's/^booking reference *//p')
[ ${#reference} = 8 ] || { echo "no booking reference: '$reference'"; exit 1; }
last=$(tripdesk case add_note FB1 --text="walkthrough" | sed -n 's/.*log position \([0-9]*\).*/\1/p' | head -1)
expect "GBP 134.40" -- tripdesk reservation show FB1
expect "$reference" -- tripdesk fleet bookings --asset_id=VAN-01 --min_position="$last"
expect "VAN-01 .*no .*$reference" -- tripdesk fleet availability --from_date="${start:0:10}" \
  --to_date="${start:0:10}" --asset_class=VAN --min_position="$last"
expect "FB1" -- tripdesk case find "$reference"
expect "Sam Driver ($driver, verified)" -- tripdesk fleet accounts --search=acme --min_position="$last"
# Another booking of the same van overlapping it is refused, naming the holder.
tripdesk case open --workflow=fleet --case_id=FB2 --start="${start:0:10}T15:00" >/dev/null
if out=$(tripdesk case select_asset FB2 --asset_id=VAN-01 2>&1); then
  echo "an overlapping booking of VAN-01 was accepted"; exit 1
fi
grep -q "asset VAN-01 is held by case FB1" <<<"$out" || { echo "$out"; exit 1; }
echo "walkthrough: FB1 booked through the fleet wizard with the CLI"

# --- BEGIN README FLIGHT CHANGE ---
outbound=$(date -u -d '+14 days' +%Y-%m-%d); inbound=$(date -u -d '+16 days' +%Y-%m-%d)
later=$(date -u -d '+16 days' +%Y-%m-%d); later_back=$(date -u -d '+18 days' +%Y-%m-%d)
seg() { printf '{"airline":"AZ","flight_number":"%s","origin":"%s","destination":"%s","departure":"%sT%s"}' "$@"; }
tripdesk case open --workflow=flight_change --case_id=FC1 --booking_reference=AB12CD \
  --customer.name="Giulia Rossi" --customer.email=giulia@example.com --fare_family=CLASSIC \
  --itinerary.segments="$(seg 2010 FCO LIN "$outbound" 07:00)" --itinerary.segments="$(seg 2037 LIN FCO "$inbound" 19:00)" \
  --itinerary.fare="EUR 180.00" --itinerary.taxes="EUR 40.00" --ticket_numbers=0551234567890
tripdesk case confirm_current_details FC1
tripdesk case check_feasibility FC1 --kind=dates        # AZ CLASSIC: fee EUR 50.00, a lower fare kept as credit
tripdesk case record_change_decision FC1 --proceed      # approval 1
tripdesk case propose_options FC1 --options="{\"option_id\":\"A\",\"available\":true,\"itinerary\":{\"segments\":[
$(seg 2012 FCO LIN "$later" 07:00),$(seg 2039 LIN FCO "$later_back" 19:00)],
\"fare\":{\"minor_units\":21050,\"currency\":\"EUR\"},\"taxes\":{\"minor_units\":4320,\"currency\":\"EUR\"}}}"
tripdesk case record_option_decision FC1 --option_id=A --approved   # approval 2
tripdesk case compute_cost FC1                          # due EUR 83.70: fee 50.00 + fare 30.50 + taxes 3.20
tripdesk case record_cost_decision FC1 --accepted       # approval 3
tripdesk case take_payment FC1 --amount="EUR 83.70" --card.token=tok_visa_4242 --card.last4=4242
tripdesk case update_booking FC1 --details_checked --ticket_numbers=0559999999990   # reissued
tripdesk case send_itinerary FC1                        # the email, old and new flights, kept on its event
tripdesk case confirm_itinerary_received FC1 --reminded_to_check
tripdesk case acknowledge_other_arrangements FC1 --effects="hotel in Milan moved by two nights"
tripdesk case add_booking_log_note FC1 --text="dates +2 days, EUR 83.70 paid, ticket reissued"
tripdesk case record_crm_interaction FC1 --channel=phone --summary="customer asked for two days later"
tripdesk case close_change FC1
tripdesk reservation show FC1                           # old and new itinerary, the cost, the new ticket
# --- END README FLIGHT CHANGE ---

expect "FC_CHANGE_COMPLETED" -- tripdesk reservation show FC1
expect "due  *EUR 83.70" -- tripdesk reservation show FC1
expect "0559999999990" -- tripdesk reservation show FC1
expect "FC1" -- tripdesk case find ab12cd
# A second change of the same booking while one is open is refused.
tripdesk case open --workflow=flight_change --case_id=FC2 --booking_reference=ZZ99YY \
  --customer.name="Giulia Rossi" --customer.email=giulia@example.com --fare_family=LIGHT \
  --itinerary.segments="$(seg 2010 FCO LIN "$outbound" 07:00)" \
  --itinerary.fare="EUR 90.00" --itinerary.taxes="EUR 20.00" --ticket_numbers=0551234567892 >/dev/null
tripdesk case confirm_current_details FC2 >/dev/null
if out2=$(tripdesk case check_feasibility FC2 --kind=destination 2>&1); then
  echo "a destination change of a LIGHT fare was accepted"; exit 1
fi
grep -q "offer_alternatives" <<<"$out2" || { echo "$out2"; exit 1; }
echo "walkthrough: FC1 changed two days later, paid, reissued, sent and closed with the CLI"

# --- BEGIN README STEPS ---
tripdesk case open --case_id=C43 --channel=call --customer.name="Zoë Müller" \
  --customer.email=zoe@example.com --traveller_name="Zoë Müller" --client_company=Acme \
  --ticket_ref=FD-1002 --queue=Support --requested_car=Compact \
  --pick_up.location=LAX --pick_up.time="$pickup" --pick_up.zone=America/Los_Angeles \
  --drop_off.location=SFO --drop_off.time="$dropoff" --drop_off.zone=America/Los_Angeles
tripdesk case assign C43 --agent=bob
tripdesk case set_priority C43 --priority=urgent
tripdesk case add_tags C43 --tags=VIP --tags=late-return
tripdesk case add_note C43 --text="customer called back"   # the common step (--workflow=car_booking: the workflow's own)
tripdesk case notes C43 --page_size=20                       # newest first, with a page token
tripdesk case list --customer=muller --travel_from="$(date -u +%Y-%m-%d)"   # Zoë Müller's cases from today
tripdesk case list --tag=vip --client_company=acme --priority=urgent
tripdesk case find K9X2Q7                                    # which case holds (or held) a confirmation or RA number
# --- END README STEPS ---

# A step already done writes nothing and prints where the case stands.
last=$(tripdesk case add_tags C43 --tags=vip | sed -n 's/.*log position \([0-9]*\).*/\1/p' | head -1)
expect "CASE_STATUS_OPEN, priority CASE_PRIORITY_URGENT" -- tripdesk case show C43 --min_position="$last"
expect "late-return, vip" -- tripdesk case show C43 --min_position="$last"
expect "#1 " -- tripdesk case notes C43 --min_position="$last"
expect "customer called back" -- tripdesk case notes C43 --min_position="$last"
expect "C43" -- tripdesk case list --customer=MÜLLER --min_position="$last"
expect "C43" -- tripdesk case list --tag=vip --client_company=acme --priority=urgent --min_position="$last"
if out=$(tripdesk case list --customer=nobody-here --min_position="$last" 2>&1); grep -q "C43" <<<"$out"; then
  echo "a search for another customer listed C43"; exit 1
fi
# A command on a case takes the case as its argument: --case_id is the command's own field.
expect "C42" -- tripdesk case link_case C43 --case_id=C42
echo "walkthrough: C43 assigned, prioritised, tagged, noted, linked and found by search with the CLI"

# Tamper evidence: a head kept, the log proven to extend it, C42's records in it.
cd "$work" && mkdir -p heads
# --- BEGIN README AUDIT ---
tripdesk --as=auditor audit key                          # the log's public key and key id
tripdesk --as=auditor audit head-save heads/today.head   # a fresh signed head, checked and kept
tripdesk --as=auditor audit head-check heads/today.head --case=C42   # exit 3 if the log was rewritten or cut
# --- END README AUDIT ---
expect "the log extends the kept head" -- tripdesk --as=auditor audit head-check heads/today.head
expect "each chain hash recomputed and proven" -- tripdesk --as=auditor audit head-check heads/today.head --case=C42
echo "walkthrough: a signed head kept and the log proven to extend it"

# Time in the log: a case's SLA due time, the (test) clock a week on, the breach.
cd "$work"
tripdesk case open --case_id=C44 --channel=email \
  --customer.name="Steven Peters" --customer.email=sp@example.com \
  --traveller_name="Steven Peters" --client_company=Acme \
  --ticket_ref=FD-1044 --queue=Support --requested_car="Intermediate SUV" \
  --pick_up.location=LAX --pick_up.time="$pickup" --pick_up.zone=America/Los_Angeles \
  --drop_off.location=SFO --drop_off.time="$dropoff" --drop_off.zone=America/Los_Angeles >/dev/null
# --- BEGIN README TIME ---
tripdesk case show C44                                  # sla first_response: RUNNING, due ...
tripdesk deadlines --kind=sla.first_response.breach     # what falls due, earliest first
tripdesk --as=admin clock advance 168h                  # a week on (a test clock only)
tripdesk deadlines --breached                           # C44's first response and resolution
tripdesk --as=auditor audit history C44                 # ... DeadlineReached, SlaBreached
# --- END README TIME ---
expect "sla first_response" -- tripdesk case show C44
for _ in $(seq 1 100); do
  tripdesk deadlines --breached | grep -q "C44.*sla.first_response.breach" && break
  sleep 0.1
done
expect "C44.*sla.first_response.breach" -- tripdesk deadlines --breached
expect "SlaBreached" -- tripdesk --as=auditor audit history C44
expect "BREACHED" -- tripdesk case show C44
echo "walkthrough: C44's SLA breached a test-clock week on, in its history and its view"
