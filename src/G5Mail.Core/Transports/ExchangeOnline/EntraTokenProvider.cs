using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Identity.Client;
using G5Mail.Core.Errors;
using G5Mail.Core.Runs;
using G5Mail.Core.Transports.Smtp;

namespace G5Mail.Core.Transports.ExchangeOnline
{
    /// <summary>An access token with what it says about itself. ToString never shows the token.</summary>
    public sealed class AccessToken
    {
        public AccessToken(string value, DateTimeOffset expiresOn, AccessTokenClaims claims)
        {
            Value = value ?? throw new ArgumentNullException(nameof(value));
            ExpiresOn = expiresOn;
            Claims = claims ?? AccessTokenClaims.Empty;
        }

        /// <summary>The bearer token. Goes into an Authorization header or a SASL exchange, never into text.</summary>
        public string Value { get; }

        public DateTimeOffset ExpiresOn { get; }

        public AccessTokenClaims Claims { get; }

        public override string ToString() => $"access token for {Claims.Audience ?? "(unknown audience)"}, expires {ExpiresOn:yyyy-MM-dd HH:mm:ss} UTC";
    }

    /// <summary>Gives tokens for the APIs of Exchange Online; one instance per pipeline, so one token per API and pipeline.</summary>
    public interface IAccessTokenSource
    {
        Task<AccessToken> GetTokenAsync(TokenAudience audience, CancellationToken cancellationToken);

        /// <summary>
        /// A new token for an API that stopped accepting <paramref name="rejected"/>: from the identity provider, never the
        /// cache (unless another connection of the pipeline has already renewed it); <paramref name="claims"/> is the decoded
        /// claims challenge of that API's 401, when it sent one.
        /// </summary>
        Task<AccessToken> RefreshTokenAsync(TokenAudience audience, AccessToken rejected, string? claims, CancellationToken cancellationToken);
    }

    /// <summary>
    /// Tokens from Microsoft Entra ID through MSAL.NET. ClientSecret flow: a confidential client and the client credentials
    /// grant. UsernamePassword flow: a public client and ROPC with the User-scope credential (warned about: it fails under MFA
    /// and Conditional Access). The MSAL application object lives as long as this provider (one pipeline) and keeps its
    /// tokens in its in-memory cache: every message of the pipeline reuses the token, and MSAL fetches a new one shortly
    /// before the cached one expires (it treats tokens that expire within 5 minutes as expired).
    /// Safe to share between the transports of one pipeline (-ThrottleLimit): requests are made one at a time.
    /// TLS to Entra ID is checked against the system's trusted roots: CertificateThumbprint and SkipCertificateCheck are
    /// for the mail server the user runs, never for Microsoft's sign-in service, where a bypass would expose the secret.
    /// </summary>
    public sealed class EntraTokenProvider : IAccessTokenSource
    {
        private readonly ExchangeOnlineOptions _options;
        private readonly IRunLog _log;
        // One request at a time: with -ThrottleLimit several connections ask at once, and the first must fill the cache
        // (and build the MSAL application) before the others read it, or each would fetch a token of its own.
        private readonly SemaphoreSlim _gate = new SemaphoreSlim(1, 1);
        private IConfidentialClientApplication? _confidential;
        private IPublicClientApplication? _public;
        private bool _warnedRopc;

        public EntraTokenProvider(ExchangeOnlineOptions options, IRunLog log)
        {
            _options = options ?? throw new ArgumentNullException(nameof(options));
            _log = log ?? NullRunLog.Instance;
        }

        public ExchangeOnlineOptions Options => _options;

        public Task<AccessToken> GetTokenAsync(TokenAudience audience, CancellationToken cancellationToken) =>
            AcquireAsync(audience, null, claims: null, cancellationToken);

        public Task<AccessToken> RefreshTokenAsync(TokenAudience audience, AccessToken rejected, string? claims, CancellationToken cancellationToken) =>
            AcquireAsync(audience, rejected ?? throw new ArgumentNullException(nameof(rejected)), claims, cancellationToken);

        /// <param name="rejected">Set for a forced renewal: the token the API refused.</param>
        private async Task<AccessToken> AcquireAsync(TokenAudience audience, AccessToken? rejected, string? claims, CancellationToken cancellationToken)
        {
            bool refresh = rejected != null;
            IReadOnlyList<string> scopes = _options.ScopesFor(audience);
            AuthenticationResult result;
            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            // TimeoutSeconds bounds the whole acquisition: MSAL may retry a request that timed out, and a silent token
            // endpoint must cost about TimeoutSeconds, not a multiple of it.
            using (var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                bounded.CancelAfter(_options.Timeout);
                try
                {
                    result = _options.IsAppOnly
                        ? await AcquireForAppAsync(scopes, false, null, bounded.Token).ConfigureAwait(false)
                        : await AcquireForUserAsync(scopes, false, null, bounded.Token).ConfigureAwait(false);
                    // With -ThrottleLimit several connections may see the same token refused at once: the first renews it,
                    // the others find the new one in the cache rather than each asking Entra ID again.
                    if (refresh && result.AccessToken == rejected!.Value)
                    {
                        result = _options.IsAppOnly
                            ? await AcquireForAppAsync(scopes, true, claims, bounded.Token).ConfigureAwait(false)
                            : await AcquireForUserAsync(scopes, true, claims, bounded.Token).ConfigureAwait(false);
                    }
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    throw;
                }
                catch (Exception ex) when (bounded.IsCancellationRequested || IsTimeout(ex))
                {
                    throw TimedOut(ex);
                }
                catch (MsalException ex) when (!_options.IsAppOnly && ex.ErrorCode == "user_realm_discovery_failed" &&
                                               (_options.UserName ?? string.Empty).IndexOf('\\') >= 0)
                {
                    // G5Mail passes the name on as configured; MSAL puts it into the user realm URL, where System.Uri makes
                    // the backslash a path separator, and Entra ID knows users only by their user principal name anyway.
                    throw new G5MailErrorException(ErrorIds.TokenAcquisitionFailed, ErrorKind.AuthenticationError,
                        $"Entra ID could not look up the user '{_options.UserName}': Exchange Online signs users in by their user principal " +
                        "name (user@domain), not DOMAIN\\user. Set the User-scope credential with the user principal name: " +
                        "Set-G5MailSetting -Scope User -Credential (Get-Credential).", "Credential", ex);
                }
                catch (Exception ex) when (ex is MsalException || ex is System.Net.Http.HttpRequestException)
                {
                    throw EntraErrors.Map(ex, _options);
                }
                finally
                {
                    _gate.Release();
                }
            }

            AccessTokenClaims tokenClaims = AccessTokenClaims.TryRead(result.AccessToken) ?? AccessTokenClaims.Empty;
            if (result.AuthenticationResultMetadata?.TokenSource == TokenSource.IdentityProvider)
            {
                _log.Verbose($"Exchange Online: got a {(refresh ? "new " : string.Empty)}token for {string.Join(" ", scopes)} from {_options.AuthorityHost.Host}, valid until " +
                             $"{result.ExpiresOn.ToLocalTime():yyyy-MM-dd HH:mm:ss}.");
            }

            return new AccessToken(result.AccessToken, result.ExpiresOn, tokenClaims);
        }

        private static bool IsTimeout(Exception ex) =>
            (ex is MsalException msal && msal.ErrorCode == MsalError.RequestTimeout) || ex is OperationCanceledException;

        /// <summary>A silent token endpoint is a connection-level failure, like a silent mail server: ConnectionFailed.</summary>
        private G5MailErrorException TimedOut(Exception ex)
        {
            string host = _options.AuthorityHost.Host;
            return new G5MailErrorException(ErrorIds.ConnectionFailed, ErrorKind.OperationTimeout,
                $"Entra ID ({host}) did not issue a token within {_options.Timeout.TotalSeconds:0} s ({HttpDeadline.Describe(_options.Timeout)}). " +
                "Check the network and proxy (HTTPS to the authority host must be allowed) and AuthorityHost.", host, ex)
            {
                Failure = FailureClass.Transient,
                Cause = $"no token within {_options.Timeout.TotalSeconds:0} s",
            };
        }

        private Task<AuthenticationResult> AcquireForAppAsync(IReadOnlyList<string> scopes, bool refresh, string? claims, CancellationToken cancellationToken)
        {
            if (_confidential == null)
            {
                // The SecureString becomes a string only here, for MSAL, which needs it for every client credentials request.
                string secret = new NetworkCredential(string.Empty, _options.ClientSecret).Password;
                _confidential = ConfidentialClientApplicationBuilder.Create(_options.ClientId.ToString())
                    .WithClientSecret(secret)
                    .WithHttpClientFactory(new BoundedHttpClientFactory(_options.Timeout))
                    .WithAuthority(_options.Authority.ToString())
                    .WithInstanceDiscovery(_options.UseInstanceDiscovery)
                    .WithClientName("G5Mail")
                    .WithClientVersion(typeof(EntraTokenProvider).Assembly.GetName().Version?.ToString() ?? "0")
                    .Build();
            }

            // AcquireTokenForClient answers from the application's token cache while the token is valid; a forced refresh
            // (and a claims challenge, which MSAL also never answers from the cache) goes to Entra ID.
            AcquireTokenForClientParameterBuilder builder = _confidential.AcquireTokenForClient(scopes);
            if (refresh)
            {
                builder = builder.WithForceRefresh(true);
            }

            if (!string.IsNullOrEmpty(claims))
            {
                builder = builder.WithClaims(claims);
            }

            return builder.ExecuteAsync(cancellationToken);
        }

        private async Task<AuthenticationResult> AcquireForUserAsync(IReadOnlyList<string> scopes, bool refresh, string? claims, CancellationToken cancellationToken)
        {
            NetworkCredential user = _options.User!;
            if (_public == null)
            {
                _public = PublicClientApplicationBuilder.Create(_options.ClientId.ToString())
                    .WithHttpClientFactory(new BoundedHttpClientFactory(_options.Timeout))
                    .WithAuthority(_options.Authority.ToString())
                    .WithInstanceDiscovery(_options.UseInstanceDiscovery)
                    .WithClientName("G5Mail")
                    .WithClientVersion(typeof(EntraTokenProvider).Assembly.GetName().Version?.ToString() ?? "0")
                    .Build();
            }

            if (!_warnedRopc)
            {
                _warnedRopc = true;
                _log.Warning(EntraErrors.RopcWarning(user.UserName));
            }

            // ROPC never looks in the cache (MSAL documents this): ask the cache first, renewing with the refresh token
            // when the access token is about to expire, and sign in with the password only when that is not possible.
            IEnumerable<IAccount> accounts = await _public.GetAccountsAsync().ConfigureAwait(false);
            IAccount? account = accounts.FirstOrDefault(a => string.Equals(a.Username, user.UserName, StringComparison.OrdinalIgnoreCase));
            // A forced refresh signs in with the password again: Graph refused the token, and a refresh token from the same
            // session may be what was revoked. The user name goes to Entra ID exactly as configured (DOMAIN\user included).
            if (account != null && !refresh)
            {
                try
                {
                    return await _public.AcquireTokenSilent(scopes, account).ExecuteAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (MsalUiRequiredException)
                {
                    // The refresh token no longer works: sign in again below.
                }
            }

#pragma warning disable CS0618 // ROPC is [Obsolete] in MSAL because Microsoft discourages it; the UsernamePassword flow exists for tenants that still allow it.
            AcquireTokenByUsernamePasswordParameterBuilder signIn = _public.AcquireTokenByUsernamePassword(scopes, user.UserName, user.Password);
#pragma warning restore CS0618
            if (!string.IsNullOrEmpty(claims))
            {
                signIn = signIn.WithClaims(claims);
            }

            return await signIn.ExecuteAsync(cancellationToken).ConfigureAwait(false);
#pragma warning disable CS0618
#pragma warning restore CS0618
        }
    }

    /// <summary>
    /// MSAL's HTTP client with TimeoutSeconds as its Timeout (MSAL's own default is 100 s), through IMsalHttpClientFactory
    /// ("Providing your own HttpClient", MSAL.NET docs). One HttpClient per factory, reused, as MSAL expects.
    /// </summary>
    internal sealed class BoundedHttpClientFactory : IMsalHttpClientFactory
    {
        private readonly System.Net.Http.HttpClient _client;

        public BoundedHttpClientFactory(TimeSpan timeout)
        {
            _client = new System.Net.Http.HttpClient { Timeout = timeout };
        }

        public System.Net.Http.HttpClient GetHttpClient() => _client;
    }

    /// <summary>XOAUTH2 for the SMTP transport: the SASL user and an Exchange Online token from the pipeline's provider.</summary>
    public sealed class ExchangeSmtpTokenSource : ISmtpTokenSource
    {
        private readonly IAccessTokenSource _tokens;

        public ExchangeSmtpTokenSource(IAccessTokenSource tokens, ExchangeOnlineOptions options)
        {
            _tokens = tokens ?? throw new ArgumentNullException(nameof(tokens));
            // App-only: the mailbox to send as. ROPC: the signed-in user, whom the token is for (Exchange compares them).
            UserName = (options.IsAppOnly ? options.From : options.UserName) ?? string.Empty;
            SignInAdvice = Advice(options, UserName);
        }

        public string UserName { get; }

        public string SignInAdvice { get; }

        public async Task<string> GetAccessTokenAsync(CancellationToken cancellationToken)
        {
            AccessToken token = await _tokens.GetTokenAsync(TokenAudience.ExchangeSmtp, cancellationToken).ConfigureAwait(false);
            return token.Value;
        }

        /// <summary>
        /// The prerequisites of "Authenticate an IMAP, POP or SMTP connection using OAuth" (learn.microsoft.com/exchange/
        /// client-developer/legacy-protocols/how-to-authenticate-an-imap-pop-smtp-application-by-using-oauth) and "Enable or
        /// disable authenticated client SMTP submission (SMTP AUTH) in Exchange Online" (learn.microsoft.com/exchange/
        /// clients-and-mobile-in-exchange-online/authenticated-client-smtp-submission).
        /// </summary>
        internal static string Advice(ExchangeOnlineOptions options, string mailbox)
        {
            string smtpAuth = $"SMTP AUTH must be enabled for the mailbox (Set-CASMailbox -Identity {mailbox} -SmtpClientAuthenticationDisabled $false) " +
                              "and not be turned off for the whole organisation (Set-TransportConfig -SmtpClientAuthenticationDisabled).";
            if (options.IsAppOnly)
            {
                return $"For the ClientSecret flow check: the application permission SMTP.SendAsApp (Office 365 Exchange Online) with admin " +
                       $"consent; the app's service principal registered in Exchange Online (New-ServicePrincipal -AppId {options.ClientId} -ObjectId " +
                       $"<object id of the Enterprise application>); its permission on the mailbox (Add-MailboxPermission -Identity {mailbox} -User " +
                       $"<that service principal> -AccessRights FullAccess); and {smtpAuth} See the README.";
            }

            return $"For the UsernamePassword flow check: the delegated permission SMTP.Send (Office 365 Exchange Online) consented for the app, " +
                   $"the password of '{mailbox}', and {smtpAuth} See the README.";
        }
    }
}
