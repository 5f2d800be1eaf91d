#!/bin/sh
# File, follow and resolve a ticket through /api/v1 with curl only (docs/api.md).
# Needs ESOUTIEN_URL, OPERATOR_TOKEN (an operator user's token) and AGENT_TOKEN.
set -eu
API="${ESOUTIEN_URL:-https://localhost:8443}/api/v1"
CURL="curl -sS -k --fail-with-body"
op() { $CURL -H "Authorization: Bearer $OPERATOR_TOKEN" "$@"; }
agent() { $CURL -H "Authorization: Bearer $AGENT_TOKEN" "$@"; }

ticket=$(op -X POST "$API/tickets" -H "Content-Type: application/json" \
  -H "Idempotency-Key: walkthrough-$(date +%s)" \
  -d '{"eservice": "e-sav", "kind": "incident", "severity": "major",
       "subject": "Perte de synchronisation PTO", "description": "Plus de signal depuis 9 h.",
       "contact_email": "noc@alfa.example", "line_reference": "FI-1234-5678"}')
ref=$(printf '%s' "$ticket" | sed -n 's/.*"reference": *"\(ES-[0-9-]*\)".*/\1/p')
echo "filed $ref"
op "$API/tickets/$ref" > /dev/null && echo "read $ref"
op -X POST "$API/tickets/$ref/comments" -H "Content-Type: application/json" \
  -d '{"body": "Le client confirme la coupure."}' > /dev/null && echo "commented"
printf 'PTO  -27.9 dBm\n' > /tmp/mesures.txt
op -X POST "$API/tickets/$ref/attachments" -F "files=@/tmp/mesures.txt" > /dev/null \
  && echo "uploaded mesures.txt"
for body in '{"action": "take"}' \
            '{"action": "request_info", "question": "Pouvez-vous redémarrer l ONT ?"}' \
            '{"action": "resume"}' \
            '{"action": "resolve", "cause": "Jarretière pincée", "actions": "Reprise", "summary": "Rétabli"}'; do
  status=$(agent -X POST "$API/tickets/$ref/transitions" -H "Content-Type: application/json" \
    -d "$body" | sed -n 's/.*"status": *"\([a-z_]*\)".*/\1/p')
  echo "  → $status"
done
op -o "/tmp/$ref.pdf" "$API/tickets/$ref/report.pdf" && echo "report saved to /tmp/$ref.pdf"
