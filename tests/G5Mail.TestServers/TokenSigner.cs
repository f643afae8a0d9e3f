using System;
using System.Collections.Generic;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace G5Mail.TestServers;

/// <summary>
/// The signing key of the stand-in Entra ID: RS256 JWTs with the key id in the header, and the public half published
/// as a JWKS. Shape after "Microsoft identity platform access tokens" (learn.microsoft.com/entra/identity-platform/access-tokens):
/// header typ/alg/kid/x5t; the key is also wrapped in a self-signed certificate because Entra's JWKS entries carry x5c/x5t.
/// A fresh key per process: nothing signed by an earlier run validates.
/// </summary>
public sealed class TokenSigner : IDisposable
{
    private readonly RSA _rsa;

    public TokenSigner()
    {
        _rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=G5Mail test token signing", _rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using X509Certificate2 cert = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));
        CertificateDer = cert.RawData;
        // x5t is the base64url SHA-1 thumbprint; Entra uses the same value for kid.
        KeyId = Base64Url(SHA1.HashData(CertificateDer));
        RSAParameters p = _rsa.ExportParameters(false);
        Modulus = Base64Url(p.Modulus!);
        Exponent = Base64Url(p.Exponent!);
    }

    public string KeyId { get; }
    public byte[] CertificateDer { get; }
    public string Modulus { get; }
    public string Exponent { get; }

    /// <summary>The JWKS entry ("GET /{tenant}/discovery/v2.0/keys").</summary>
    public JsonObject Jwk(string? issuer)
    {
        var jwk = new JsonObject
        {
            ["kty"] = "RSA",
            ["use"] = "sig",
            ["kid"] = KeyId,
            ["x5t"] = KeyId,
            ["n"] = Modulus,
            ["e"] = Exponent,
            ["x5c"] = new JsonArray(Convert.ToBase64String(CertificateDer)),
        };
        if (issuer is not null) jwk["issuer"] = issuer;
        return jwk;
    }

    public string Sign(JsonObject payload) => Sign(payload, _rsa, KeyId);

    /// <summary>Signs with any key: tests use it to forge tokens with a foreign key or altered claims.</summary>
    public static string Sign(JsonObject payload, RSA key, string keyId)
    {
        var header = new JsonObject { ["typ"] = "JWT", ["alg"] = "RS256", ["kid"] = keyId, ["x5t"] = keyId };
        string signingInput = Base64Url(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + Base64Url(Encoding.UTF8.GetBytes(payload.ToJsonString()));
        byte[] signature = key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signingInput + "." + Base64Url(signature);
    }

    /// <summary>
    /// Parses and checks the signature of a compact JWS. Returns the payload, or null with the reason Graph would give
    /// (the claim checks - issuer, audience, lifetime - are the caller's, because their messages differ).
    /// </summary>
    public JsonObject? Verify(string token, out string? failure)
    {
        failure = null;
        string[] parts = token.Split('.');
        if (parts.Length != 3)
        {
            // Graph's wording for a token that is not a JWS (e.g. an opaque or truncated token).
            failure = "IDX14100: JWT is not well formed, there are no dots (.).";
            return null;
        }

        JsonObject? header;
        JsonObject? payload;
        byte[] signature;
        try
        {
            header = JsonNode.Parse(Base64UrlDecode(parts[0])) as JsonObject;
            payload = JsonNode.Parse(Base64UrlDecode(parts[1])) as JsonObject;
            signature = Base64UrlDecode(parts[2]);
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            failure = "IDX14102: Unable to decode the header or payload as Base64Url encoded JSON.";
            return null;
        }

        if (header is null || payload is null)
        {
            failure = "IDX14102: Unable to decode the header or payload as Base64Url encoded JSON.";
            return null;
        }

        if ((string?)header["alg"] != "RS256")
        {
            failure = "Access token validation failure. The signing algorithm is not RS256.";
            return null;
        }

        if ((string?)header["kid"] != KeyId)
        {
            failure = "IDX10503: Signature validation failed. The token's kid is not in the tenant's signing keys.";
            return null;
        }

        bool valid = _rsa.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        if (!valid)
        {
            failure = "IDX10511: Signature validation failed. Keys tried: the tenant's signing key.";
            return null;
        }

        return payload;
    }

    public static string Base64Url(byte[] data) => Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static byte[] Base64UrlDecode(string text)
    {
        string s = text.Replace('-', '+').Replace('_', '/');
        switch (s.Length % 4)
        {
            case 2: s += "=="; break;
            case 3: s += "="; break;
            case 1: throw new FormatException("Invalid base64url length.");
        }

        return Convert.FromBase64String(s);
    }

    public static long UnixNow() => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public void Dispose() => _rsa.Dispose();
}

/// <summary>Deterministic GUIDs for ids the config leaves out, so the same config gives the same oid each run.</summary>
internal static class StableIds
{
    public static Guid From(string seed)
    {
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(seed));
        byte[] bytes = new byte[16];
        Array.Copy(hash, bytes, 16);
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40); // version 4 layout, like Entra's random ids
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes);
    }

    public static string Opaque(int bytes = 32) => TokenSigner.Base64Url(RandomNumberGenerator.GetBytes(bytes));

    public static IEnumerable<string> SplitScopes(string? scope) =>
        (scope ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
