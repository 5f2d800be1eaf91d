// A real OpenID Provider for e-soutien's single sign-on tests, standing in for the
// Espace Opérateurs. Test use only: plain HTTP on loopback, in-memory storage, a key pair
// generated at every start, and oidc-provider's development login form (any password).
//
//   node server.js <port> <accounts.json>
//   (or IDP_PORT, IDP_ACCOUNTS, IDP_CLIENT_ID, IDP_CLIENT_SECRET, IDP_REDIRECT_URI)
//
// <accounts.json> is a list of {sub, email, name, operator_code, role[, email_verified]}; it
// is read again at every look-up, so a test may change a person's claims between two logins.
// The server prints READY on stdout once it listens.

import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';

import Provider from 'oidc-provider';

const port = Number(process.argv[2] || process.env.IDP_PORT || 0);
const accountsFile = process.argv[3] || process.env.IDP_ACCOUNTS;
if (!port || !accountsFile) {
  console.error('usage: node server.js <port> <accounts.json>');
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;

function findPerson(sub) {
  const people = JSON.parse(readFileSync(accountsFile, 'utf8'));
  return people.find((person) => person.sub === sub);
}

const signingKey = {
  ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
  kid: 'test-idp-key',
  use: 'sig',
  alg: 'RS256',
};

const configuration = {
  clients: [
    {
      client_id: process.env.IDP_CLIENT_ID || 'esoutien',
      client_secret: process.env.IDP_CLIENT_SECRET || 'esoutien-test-secret',
      redirect_uris: [
        process.env.IDP_REDIRECT_URI
          || 'http://testserver/accounts/oidc/espace-operateurs/login/callback/',
      ],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks: { keys: [signingKey] },
  cookies: { keys: ['esoutien-test-idp-cookie-key'] },
  // The Espace Opérateurs' own claims travel in their own scope.
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
    esoutien: ['operator_code', 'esoutien_role'],
  },
  // Put the scope's claims in the ID token as well as in userinfo.
  conformIdTokenClaims: false,
  // Every client must send a PKCE challenge (S256 is the only method oidc-provider accepts).
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: true }, // the login form: POST prompt=login, login=<sub>
  },
  // First-party client: no consent screen, the grant covers what was asked.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      return ctx.oidc.provider.Grant.find(grantId);
    }
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope(ctx.oidc.params.scope);
    await grant.save();
    return grant;
  },
  async findAccount(ctx, sub) {
    const person = findPerson(sub);
    if (!person) {
      return undefined;
    }
    return {
      accountId: sub,
      async claims() {
        const claims = {
          sub,
          email: person.email,
          email_verified: person.email_verified ?? true,
          name: person.name,
          esoutien_role: person.role,
        };
        // A person without an operator has no operator_code claim at all.
        if (person.operator_code != null) {
          claims.operator_code = person.operator_code;
        }
        return claims;
      },
    };
  },
};

const provider = new Provider(issuer, configuration);
provider.on('server_error', (ctx, error) => console.error('server_error', error));

const server = provider.listen(port, '127.0.0.1', () => {
  console.log('READY');
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
