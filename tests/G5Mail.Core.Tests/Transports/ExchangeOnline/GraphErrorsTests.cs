using System;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using G5Mail.Core.Errors;
using G5Mail.Core.Transports;
using G5Mail.Core.Transports.ExchangeOnline;
using Xunit;

namespace G5Mail.Core.Tests.Transports.ExchangeOnline
{
    public sealed class GraphErrorsTests
    {
        private static readonly GraphOperation SendMail = new GraphOperation("send the message (sendMail)", GraphPermissions.MailSend);
        private static readonly GraphOperation Upload = new GraphOperation("upload 'big.pdf'", GraphPermissions.MailReadWrite);

        [Fact]
        public void Reads_code_and_message_of_a_Graph_error_body()
        {
            byte[] body = Encoding.UTF8.GetBytes("{\"error\":{\"code\":\"ErrorAccessDenied\",\"message\":\"Access is denied.\",\"innerError\":{}}}");
            Assert.Equal(("ErrorAccessDenied", "Access is denied."), GraphErrors.ReadError(body));
            Assert.Equal((null, null), GraphErrors.ReadError(Encoding.UTF8.GetBytes("<html>")));
            Assert.Equal((null, null), GraphErrors.ReadError(Array.Empty<byte>()));
        }

        [Fact]
        public void Unauthorized_without_any_graph_permission_names_the_application_permission_the_call_needs()
        {
            G5MailErrorException error = GraphErrors.Map(401, "InvalidAuthenticationToken", "Either scp or roles claim need to be present in the token.",
                SendMail, ExoTestData.Options(), ExoTestData.AppClaims());

            Assert.Equal(ErrorIds.PermissionDenied, error.ErrorId);
            Assert.Equal(ErrorKind.PermissionDenied, error.Kind);
            Assert.Equal("Mail.Send", error.Target);
            Assert.Contains("application permission Mail.Send", error.Message);
            Assert.Contains("no Microsoft Graph permission at all", error.Message);
            Assert.Contains("Grant admin consent", error.Message);
        }

        [Fact]
        public void Forbidden_for_the_upload_path_names_Mail_ReadWrite()
        {
            G5MailErrorException error = GraphErrors.Map(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.",
                Upload, ExoTestData.Options(), ExoTestData.AppClaims("Mail.Send"));

            Assert.Equal(ErrorIds.PermissionDenied, error.ErrorId);
            Assert.Equal("Mail.ReadWrite", error.Target);
            Assert.Contains("application permission Mail.ReadWrite", error.Message);
        }

        [Fact]
        public void Forbidden_for_a_delegated_token_names_the_delegated_permission()
        {
            G5MailErrorException error = GraphErrors.Map(403, "ErrorAccessDenied", null, SendMail,
                ExoTestData.Options(AuthenticationFlow.UsernamePassword), ExoTestData.UserClaims("Mail.ReadWrite"));

            Assert.Contains("delegated Microsoft Graph permission Mail.Send", error.Message);
            Assert.Contains("Delegated permissions", error.Message);
        }

        [Fact]
        public void Forbidden_although_the_token_has_the_permission_points_at_an_application_access_policy()
        {
            G5MailErrorException error = GraphErrors.Map(403, "ErrorAccessDenied", null, SendMail, ExoTestData.Options(), ExoTestData.AppClaims("Mail.Send"));

            Assert.Equal(ErrorIds.PermissionDenied, error.ErrorId);
            Assert.Contains("application access policy", error.Message);
            Assert.Contains("order@contoso.com", error.Message);
        }

        [Fact]
        public void Send_as_denied_is_about_From()
        {
            G5MailErrorException error = GraphErrors.Map(403, "ErrorSendAsDenied", "no right to send as", SendMail,
                ExoTestData.Options(AuthenticationFlow.UsernamePassword), ExoTestData.UserClaims("Mail.Send"));

            Assert.Equal(ErrorIds.PermissionDenied, error.ErrorId);
            Assert.Equal("From", error.Target);
            Assert.Contains("Add-RecipientPermission", error.Message);
        }

        [Fact]
        public void An_unknown_mailbox_is_SendFailed_pointing_at_From()
        {
            G5MailErrorException error = GraphErrors.Map(404, "ErrorInvalidUser", "The requested user 'x' is invalid.", SendMail, ExoTestData.Options(), null);

            Assert.Equal(ErrorIds.SendFailed, error.ErrorId);
            Assert.Equal(ErrorKind.ObjectNotFound, error.Kind);
            Assert.Equal("From", error.Target);
        }

        [Fact]
        public void Not_found_outside_mail_calls_is_not_about_the_mailbox()
        {
            var read = new GraphOperation("read the app's client secrets", GraphPermissions.ApplicationReadAll);
            G5MailErrorException error = GraphErrors.Map(404, "Request_ResourceNotFound", "Resource does not exist.", read, ExoTestData.Options(), null);

            Assert.Equal(ErrorKind.ObjectNotFound, error.Kind);
            Assert.DoesNotContain("mailbox", error.Message);
        }

        [Theory]
        [InlineData(413, "RequestEntityTooLarge")]
        [InlineData(413, null)]
        [InlineData(400, "ErrorAttachmentSizeLimitExceeded")]
        public void Size_refusals_are_MessageTooLarge(int status, string? code)
        {
            Assert.Equal(ErrorIds.MessageTooLarge, GraphErrors.Map(status, code, "too big", SendMail, ExoTestData.Options(), null).ErrorId);
        }

        [Fact]
        public void A_refused_recipient_is_InvalidAddress()
        {
            Assert.Equal(ErrorIds.InvalidAddress,
                GraphErrors.Map(400, "ErrorInvalidRecipients", "At least one recipient isn't valid.", SendMail, ExoTestData.Options(), null).ErrorId);
        }

        [Fact]
        public void Throttling_is_transient_with_the_wait_Graph_asked_for()
        {
            G5MailErrorException error = GraphErrors.Map(429, "TooManyRequests", "Too many requests.", SendMail, ExoTestData.Options(), null,
                retryAfter: TimeSpan.FromSeconds(120));

            Assert.Equal(ErrorIds.SendFailed, error.ErrorId);
            Assert.Equal(ErrorKind.ResourceUnavailable, error.Kind);
            Assert.Equal(FailureClass.Transient, error.Failure);
            Assert.Equal(TimeSpan.FromSeconds(120), error.RetryAfter);
            Assert.Equal("HTTP 429 TooManyRequests", error.Cause);
            Assert.Contains("120 s", error.Message);
        }

        [Theory]
        [InlineData(503, FailureClass.Transient)]
        [InlineData(504, FailureClass.Transient)]
        [InlineData(500, FailureClass.Permanent)]
        [InlineData(400, FailureClass.Permanent)]
        [InlineData(403, FailureClass.Permanent)]
        public void Only_429_503_and_504_are_transient(int status, FailureClass expected)
        {
            var draft = new GraphOperation("create a draft", GraphPermissions.MailReadWrite);
            Assert.Equal(expected, GraphErrors.Map(status, null, null, draft, ExoTestData.Options(), null).Failure);
        }

        [Theory]
        [InlineData(500)]
        [InlineData(502)]
        [InlineData(504)]
        public void A_500_502_or_504_to_the_call_that_sends_is_DeliveryUncertain(int status)
        {
            var send = new GraphOperation("send the message (sendMail)", GraphPermissions.MailSend, sendsMessage: true);
            G5MailErrorException error = GraphErrors.Map(status, "generalException", "Something went wrong.", send, ExoTestData.Options(), null);

            Assert.Equal(ErrorIds.DeliveryUncertain, error.ErrorId);
            Assert.Equal(FailureClass.Uncertain, error.Failure);
            Assert.Contains("answered " + status, error.Message);
            Assert.Contains("-JournalPath", error.Message);
        }

        [Theory]
        [InlineData(500)]
        [InlineData(502)]
        public void A_500_or_502_to_a_call_that_only_builds_a_draft_stays_SendFailed(int status)
        {
            var draft = new GraphOperation("create the draft", GraphPermissions.MailReadWrite);
            G5MailErrorException error = GraphErrors.Map(status, "generalException", null, draft, ExoTestData.Options(), null);

            Assert.Equal(ErrorIds.SendFailed, error.ErrorId);
            Assert.Equal(FailureClass.Permanent, error.Failure);
        }

        private static HttpResponseHeaders Challenge(string? value)
        {
            var response = new HttpResponseMessage(System.Net.HttpStatusCode.Unauthorized);
            if (value != null)
            {
                response.Headers.WwwAuthenticate.ParseAdd(value);
            }

            return response.Headers;
        }

        [Fact]
        public void Reads_the_claims_of_a_CAE_challenge()
        {
            // The shape of "How to use Continuous Access Evaluation enabled APIs in your applications" (Microsoft Learn).
            const string claims = "{\"access_token\":{\"nbf\":{\"essential\":true, \"value\":\"1602013560\"}}}";
            string encoded = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(claims));
            HttpResponseHeaders headers = Challenge(
                $"Bearer authorization_uri=\"https://login.windows.net/common/oauth2/authorize\", error=\"insufficient_claims\", claims=\"{encoded}\"");

            Assert.Equal(claims, GraphErrors.ClaimsChallenge(headers));
            Assert.True(GraphErrors.IsTokenNoLongerAccepted(401, headers, AccessTokenClaims.Empty));
        }

        [Fact]
        public void A_challenge_without_insufficient_claims_has_no_claims()
        {
            Assert.Null(GraphErrors.ClaimsChallenge(Challenge("Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\"")));
            Assert.Null(GraphErrors.ClaimsChallenge(Challenge(null)));
        }

        [Fact]
        public void A_401_to_a_token_that_carries_Graph_permissions_means_the_token_is_no_longer_accepted()
        {
            Assert.True(GraphErrors.IsTokenNoLongerAccepted(401, Challenge(null), ExoTestData.AppClaims("Mail.Send")));
        }

        [Fact]
        public void A_401_to_a_token_with_no_Graph_permission_stays_a_permission_problem()
        {
            Assert.False(GraphErrors.IsTokenNoLongerAccepted(401, Challenge(null), ExoTestData.AppClaims()));
            Assert.False(GraphErrors.IsTokenNoLongerAccepted(403, Challenge(null), ExoTestData.AppClaims("Mail.Send")));
        }

        [Fact]
        public void A_401_after_a_fresh_token_is_AuthenticationFailed()
        {
            var send = new GraphOperation("send the message (sendMail)", GraphPermissions.MailSend, sendsMessage: true);
            G5MailErrorException error = GraphErrors.TokenRejectedAgain(401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.",
                send, ExoTestData.Options());

            Assert.Equal(ErrorIds.AuthenticationFailed, error.ErrorId);
            Assert.Equal(FailureClass.Permanent, error.Failure);
        }

        [Fact]
        public void A_504_to_the_call_that_sends_is_DeliveryUncertain_because_Exchange_may_have_sent_it()
        {
            var send = new GraphOperation("send the message (sendMail)", GraphPermissions.MailSend, sendsMessage: true);
            G5MailErrorException error = GraphErrors.Map(504, "GatewayTimeout", null, send, ExoTestData.Options(), null);

            Assert.Equal(ErrorIds.DeliveryUncertain, error.ErrorId);
            Assert.Equal(FailureClass.Uncertain, error.Failure);
            Assert.Contains("Sent Items", error.Message);
        }

        [Fact]
        public void Anything_else_is_SendFailed_with_Graphs_words()
        {
            G5MailErrorException error = GraphErrors.Map(400, "ErrorInvalidParameter", "The value of the parameter 'Message' is empty.", SendMail, ExoTestData.Options(), null);

            Assert.Equal(ErrorIds.SendFailed, error.ErrorId);
            Assert.Contains("ErrorInvalidParameter", error.Message);
            Assert.Contains("'Message' is empty", error.Message);
        }
    }
}
