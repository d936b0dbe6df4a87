"""The sandbox's fixed credentials (documented in the README). Never valid anywhere else."""

# ServiceTitan: client credentials grant, one tenant.
ST_TENANT_ID = 7654321
ST_CLIENT_ID = "cid.sandbox-plumbing-hvac"
ST_CLIENT_SECRET = "cs1.sandbox-secret-not-for-production"
ST_APP_KEY = "ak1.sandbox-app-key"

# FreshBooks: authorization-code grant, one user owning one business (and a client of another).
FB_CLIENT_ID = "fb-sandbox-client-id"
FB_CLIENT_SECRET = "fb-sandbox-client-secret"
FB_REDIRECT_URI = "https://localhost:8765/freshbooks/callback"
FB_ACCOUNT_ID = "SBX7Q2"
FB_USER_EMAIL = "office@riverbend-plumbing.example"
