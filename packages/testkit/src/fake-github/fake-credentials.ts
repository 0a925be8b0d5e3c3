import { createPublicKey, randomBytes, verify as verifySignature } from 'node:crypto';

/** Who a request authenticated as. */
export type FakeIdentity =
  | { kind: 'user'; login: string; rateLimitKey: string }
  | { kind: 'installation'; login: string; installationId: number; appId: number; rateLimitKey: string }
  | { kind: 'app'; appId: number; rateLimitKey: string };

export interface FakeApp {
  appId: number;
  slug: string;
  publicKeyPem: string;
  /** Installation id per repository full name (lowercased). */
  installations: Map<string, number>;
}

interface IssuedToken {
  identity: FakeIdentity;
  /** Epoch milliseconds (fake clock); null for personal tokens, which do not expire. */
  expiresAt: number | null;
  revoked: boolean;
}

export type AuthenticationResult =
  | { ok: true; identity: FakeIdentity; token: string }
  | { ok: false; status: 401; message: string };

function decodeBase64Url(text: string): Buffer {
  return Buffer.from(text, 'base64url');
}

/**
 * Tokens the fake issued (personal and App installation tokens) and the Apps it knows.
 * App JWTs are checked like GitHub does: RS256 with the App's public key, issuer = App id,
 * not expired and not more than ten minutes long. JWT times are checked against the real
 * clock, because @octokit/auth-app signs with it; installation-token expiry follows the
 * fake's clock, so tests can jump past it.
 */
export class FakeCredentials {
  private readonly tokens = new Map<string, IssuedToken>();
  readonly apps = new Map<number, FakeApp>();
  /** Installation tokens minted so far, for tests of caching and refresh. */
  installationTokensMinted = 0;

  constructor(private readonly now: () => number) {}

  issueUserToken(login: string, token?: string): string {
    const value = token ?? `ghp_${randomBytes(18).toString('hex')}`;
    this.tokens.set(value, {
      identity: { kind: 'user', login, rateLimitKey: `user:${login.toLowerCase()}` },
      expiresAt: null,
      revoked: false,
    });
    return value;
  }

  issueInstallationToken(
    app: FakeApp,
    installationId: number,
    lifetimeMs: number,
  ): { token: string; expiresAt: number } {
    const token = `ghs_${randomBytes(18).toString('hex')}`;
    const expiresAt = this.now() + lifetimeMs;
    this.tokens.set(token, {
      identity: {
        kind: 'installation',
        login: `${app.slug}[bot]`,
        installationId,
        appId: app.appId,
        rateLimitKey: `installation:${installationId}`,
      },
      expiresAt,
      revoked: false,
    });
    this.installationTokensMinted += 1;
    return { token, expiresAt };
  }

  /** Revokes every token minted for an App installation, as uninstalling or a key rotation does. */
  revokeInstallationTokens(installationId: number): void {
    for (const issued of this.tokens.values()) {
      if (issued.identity.kind === 'installation' && issued.identity.installationId === installationId) {
        issued.revoked = true;
      }
    }
  }

  revoke(token: string): void {
    const issued = this.tokens.get(token);
    if (issued) issued.revoked = true;
  }

  registerApp(app: FakeApp): void {
    createPublicKey(app.publicKeyPem);
    this.apps.set(app.appId, app);
  }

  authenticate(authorization: string | undefined): AuthenticationResult | null {
    if (!authorization) return null;
    const match = /^(token|bearer)\s+(\S+)$/i.exec(authorization.trim());
    if (!match) return { ok: false, status: 401, message: 'Bad credentials' };
    const credential = match[2]!;
    if (credential.split('.').length === 3) return this.authenticateJwt(credential);
    const issued = this.tokens.get(credential);
    if (!issued || issued.revoked) return { ok: false, status: 401, message: 'Bad credentials' };
    if (issued.expiresAt !== null && this.now() >= issued.expiresAt) {
      return { ok: false, status: 401, message: 'Bad credentials' };
    }
    return { ok: true, identity: issued.identity, token: credential };
  }

  private authenticateJwt(jwt: string): AuthenticationResult {
    const [headerPart, payloadPart, signaturePart] = jwt.split('.') as [string, string, string];
    let payload: { iss?: unknown; iat?: unknown; exp?: unknown };
    try {
      const header = JSON.parse(decodeBase64Url(headerPart).toString('utf8')) as { alg?: string };
      if (header.alg !== 'RS256')
        return { ok: false, status: 401, message: 'A JSON web token could not be decoded' };
      payload = JSON.parse(decodeBase64Url(payloadPart).toString('utf8'));
    } catch {
      return { ok: false, status: 401, message: 'A JSON web token could not be decoded' };
    }
    const app = this.apps.get(Number(payload.iss));
    if (!app) return { ok: false, status: 401, message: "'Issuer' claim ('iss') must be an Integer" };
    const signed = verifySignature(
      'RSA-SHA256',
      Buffer.from(`${headerPart}.${payloadPart}`),
      createPublicKey(app.publicKeyPem),
      decodeBase64Url(signaturePart),
    );
    if (!signed) return { ok: false, status: 401, message: 'A JSON web token could not be decoded' };
    const nowSeconds = Math.floor(Date.now() / 1000);
    const issuedAt = Number(payload.iat);
    const expiresAt = Number(payload.exp);
    if (!Number.isFinite(expiresAt) || expiresAt <= nowSeconds) {
      return {
        ok: false,
        status: 401,
        message:
          "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
      };
    }
    if (!Number.isFinite(issuedAt) || issuedAt > nowSeconds + 60 || expiresAt - issuedAt > 600 + 60) {
      return {
        ok: false,
        status: 401,
        message:
          "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued",
      };
    }
    return {
      ok: true,
      identity: { kind: 'app', appId: app.appId, rateLimitKey: `app:${app.appId}` },
      token: jwt,
    };
  }
}
