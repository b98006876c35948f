#!/bin/sh
# The gateway's serving role, for docker-compose.yml (README, "Audit log" and "Deploy").
#
# The postgres image runs this once, on the first start of an empty volume, as POSTGRES_USER
# (the owner: the gateway migrates over PGW_MIGRATE_DATABASE_URL as that role). The role made
# here owns nothing; at every start the gateway grants it what serving needs, which on the
# audit log is only SELECT, INSERT and the one-time completion of a pending event.
#
# Safe to run again, e.g. for a volume created before this script existed or after changing
# GATEWAY_DB_PASSWORD in .env:
#   docker compose exec postgres sh /docker-entrypoint-initdb.d/10-gateway-serving-role.sh
set -eu
: "${GATEWAY_DB_USER:?GATEWAY_DB_USER is not set (see .env.example)}"
: "${GATEWAY_DB_PASSWORD:?GATEWAY_DB_PASSWORD is not set (see .env.example)}"

# The name and password reach psql through the environment (\getenv), not its command line,
# and are quoted by format(); nothing prints them.
psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
\getenv role GATEWAY_DB_USER
\getenv password GATEWAY_DB_PASSWORD
SELECT format('CREATE ROLE %I', :'role')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role')
\gexec
SELECT format('ALTER ROLE %I WITH LOGIN PASSWORD %L', :'role', :'password')
\gexec
SELECT format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', current_database(), :'role')
\gexec
SQL
echo "gateway serving role \"$GATEWAY_DB_USER\" ready in database \"$POSTGRES_DB\""
