// A real OpenID Connect provider (panva/oidc-provider) for Hubgate's browser tests.
//
// Static clients, the library's development login and consent pages (any password is
// accepted for the accounts in accounts.json, unknown logins are refused), a `groups` claim
// behind the `groups` scope, and RP-initiated logout. Configured by environment variables:
//   PORT                      port on 127.0.0.1 (required)
//   CLIENT_ID, CLIENT_SECRET  the one confidential client (Hubgate)
//   REDIRECT_URIS             comma-separated allowed redirect URIs
//   POST_LOGOUT_REDIRECT_URIS comma-separated allowed post-logout redirect URIs
// Test-only: never run this as a real identity provider.
import { readFileSync } from "node:fs";
import Provider from "oidc-provider";

const port = Number(process.env.PORT);
if (!port) {
  console.error("PORT is required");
  process.exit(2);
}
const list = (name) => (process.env[name] || "").split(",").map((s) => s.trim()).filter(Boolean);
const accounts = JSON.parse(readFileSync(new URL("./accounts.json", import.meta.url), "utf8"));

const configuration = {
  clients: [
    {
      client_id: process.env.CLIENT_ID || "hubgate",
      client_secret: process.env.CLIENT_SECRET || "hubgate-test-secret",
      redirect_uris: list("REDIRECT_URIS"),
      post_logout_redirect_uris: list("POST_LOGOUT_REDIRECT_URIS"),
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_post",
    },
  ],
  scopes: ["openid", "profile", "email", "groups"],
  claims: {
    openid: ["sub"],
    profile: ["name", "given_name", "family_name", "preferred_username"],
    email: ["email", "email_verified"],
    groups: ["groups"],
  },
  async findAccount(ctx, id) {
    const account = Object.hasOwn(accounts, id) ? accounts[id] : undefined;
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          preferred_username: id,
          name: account.name,
          given_name: account.given_name,
          family_name: account.family_name,
          email: account.email,
          email_verified: true,
          groups: account.groups,
        };
      },
    };
  },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  cookies: { keys: ["hubgate-test-idp-cookie-key"] },
  ttl: { Session: 3600, Interaction: 600, Grant: 3600, AccessToken: 600, IdToken: 600 },
};

const provider = new Provider(`http://127.0.0.1:${port}`, configuration);
const server = provider.listen(port, "127.0.0.1", () => {
  console.log(`test IdP listening on http://127.0.0.1:${port}`);
});
const stop = () => server.close(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
