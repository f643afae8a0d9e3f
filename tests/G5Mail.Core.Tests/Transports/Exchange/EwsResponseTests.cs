using System;
using System.Net;
using G5Mail.Core.Errors;
using G5Mail.Core.Transports;
using G5Mail.Core.Transports.Exchange;
using Xunit;

namespace G5Mail.Core.Tests.Transports.Exchange
{
    /// <summary>
    /// Parsing EWS responses in the shapes learn.microsoft.com documents ("CreateItem operation (email message)",
    /// "GetFolder operation", "ServerVersionInfo", "MessageXml", "EWS throttling in Exchange"), with the prefixes of
    /// Exchange 2007 (soap:) and of 2013 and later (s:, h:), and mapping them to the contract's error ids.
    /// </summary>
    public sealed class EwsResponseTests
    {
        private const string Ns = "xmlns:m=\"http://schemas.microsoft.com/exchange/services/2006/messages\" xmlns:t=\"http://schemas.microsoft.com/exchange/services/2006/types\"";

        private static string Envelope(string body, string header = "") =>
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\">" +
            (header.Length > 0 ? "<s:Header>" + header + "</s:Header>" : string.Empty) + "<s:Body>" + body + "</s:Body></s:Envelope>";

        private const string Version2019 =
            "<h:ServerVersionInfo MajorVersion=\"15\" MinorVersion=\"2\" MajorBuildNumber=\"1544\" MinorBuildNumber=\"4\" Version=\"V2017_07_11\" " +
            "xmlns:h=\"http://schemas.microsoft.com/exchange/services/2006/types\" xmlns=\"http://schemas.microsoft.com/exchange/services/2006/types\"/>";

        private static string CreateItemError(string code, string text, string messageXml = "") =>
            Envelope($"<m:CreateItemResponse {Ns}><m:ResponseMessages><m:CreateItemResponseMessage ResponseClass=\"Error\">" +
                     $"<m:MessageText>{text}</m:MessageText><m:ResponseCode>{code}</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>" +
                     messageXml + "<m:Items/></m:CreateItemResponseMessage></m:ResponseMessages></m:CreateItemResponse>", Version2019);

        private static readonly EwsEndpoint Endpoint = EwsEndpoint.Resolve("mail.example.com", 0);

        [Fact]
        public void A_successful_SendAndSaveCopy_has_no_error_no_item_id_and_the_server_version()
        {
            EwsResponse r = EwsResponseParser.Parse(Envelope(
                $"<m:CreateItemResponse {Ns}><m:ResponseMessages><m:CreateItemResponseMessage ResponseClass=\"Success\">" +
                "<m:ResponseCode>NoError</m:ResponseCode><m:Items/></m:CreateItemResponseMessage></m:ResponseMessages></m:CreateItemResponse>", Version2019));

            Assert.Null(r.Fault);
            Assert.Null(r.ErrorCode);
            EwsResponseMessage m = Assert.Single(r.Messages);
            Assert.Equal("CreateItem", m.Operation);
            Assert.Equal("Success", m.ResponseClass);
            Assert.Equal("NoError", m.ResponseCode);
            Assert.Empty(m.ItemIds);
            Assert.Equal("15.2.1544.4", r.ServerVersion!.Build);
            Assert.Equal("V2017_07_11", r.ServerVersion.Schema);
            Assert.Equal("Exchange Server 2019", r.ServerVersion.Product);
            Assert.True(r.ServerVersion.SupportsRequestVersion);
        }

        [Fact]
        public void The_Exchange_2007_prefixes_and_a_SaveOnly_item_id_are_read_by_namespace()
        {
            string xml = "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Header>" +
                         "<t:ServerVersionInfo MajorVersion=\"8\" MinorVersion=\"0\" MajorBuildNumber=\"685\" MinorBuildNumber=\"8\" xmlns:t=\"http://schemas.microsoft.com/exchange/services/2006/types\"/>" +
                         "</soap:Header><soap:Body><CreateItemResponse xmlns=\"http://schemas.microsoft.com/exchange/services/2006/messages\" " + Ns + ">" +
                         "<m:ResponseMessages><m:CreateItemResponseMessage ResponseClass=\"Success\"><m:ResponseCode>NoError</m:ResponseCode>" +
                         "<m:Items><t:Message><t:ItemId Id=\"AAMkADk=\" ChangeKey=\"CQAAABYA\"/></t:Message></m:Items></m:CreateItemResponseMessage>" +
                         "</m:ResponseMessages></CreateItemResponse></soap:Body></soap:Envelope>";
            EwsResponse r = EwsResponseParser.Parse(xml);
            Assert.Equal(new[] { "AAMkADk=" }, r.Messages[0].ItemIds);
            Assert.Equal("Exchange Server 2007", r.ServerVersion!.Product);
            Assert.False(r.ServerVersion.SupportsRequestVersion);
            Assert.Null(r.ServerVersion.Schema);
        }

        [Fact]
        public void An_error_response_message_gives_its_code_text_and_MessageXml_values()
        {
            EwsResponse r = EwsResponseParser.Parse(CreateItemError("ErrorServerBusy", "The server cannot service this request right now. Try again later.",
                "<m:MessageXml><t:Value Name=\"BackOffMilliseconds\">2500</t:Value></m:MessageXml>"));
            Assert.Equal("ErrorServerBusy", r.ErrorCode);
            Assert.True(r.Messages[0].IsError);
            Assert.Equal(TimeSpan.FromMilliseconds(2500), r.BackOff);
        }

        [Fact]
        public void A_throttling_SOAP_fault_gives_ErrorServerBusy_and_its_back_off()
        {
            // HTTP 500 with a fault (table 4 of "EWS throttling in Exchange"); MessageXml in the errors namespace since Exchange 2010.
            string fault = "<s:Fault><faultcode xmlns:a=\"http://schemas.microsoft.com/exchange/services/2006/types\">a:ErrorServerBusy</faultcode>" +
                           "<faultstring xml:lang=\"en-US\">The server cannot service this request right now. Try again later.</faultstring><detail>" +
                           "<e:ResponseCode xmlns:e=\"http://schemas.microsoft.com/exchange/services/2006/errors\">ErrorServerBusy</e:ResponseCode>" +
                           "<e:Message xmlns:e=\"http://schemas.microsoft.com/exchange/services/2006/errors\">The server cannot service this request right now. Try again later.</e:Message>" +
                           "<e:MessageXml xmlns:e=\"http://schemas.microsoft.com/exchange/services/2006/errors\">" +
                           "<t:Value Name=\"BackOffMilliseconds\" xmlns:t=\"http://schemas.microsoft.com/exchange/services/2006/types\">41000</t:Value></e:MessageXml>" +
                           "</detail></s:Fault>";
            EwsResponse r = EwsResponseParser.Parse(Envelope(fault));
            Assert.NotNull(r.Fault);
            Assert.Equal("ErrorServerBusy", r.ErrorCode);
            Assert.Equal(TimeSpan.FromSeconds(41), r.BackOff);
            Assert.Empty(r.Messages);
        }

        [Fact]
        public void A_fault_without_detail_takes_its_code_from_faultcode_and_a_schema_fault_keeps_line_and_position()
        {
            EwsResponse bare = EwsResponseParser.Parse(Envelope("<s:Fault><faultcode xmlns:a=\"x\">a:ErrorInvalidServerVersion</faultcode><faultstring>Bad version</faultstring></s:Fault>"));
            Assert.Equal("ErrorInvalidServerVersion", bare.ErrorCode);
            Assert.Equal("Bad version", bare.Fault!.Text);

            EwsResponse schema = EwsResponseParser.Parse(Envelope("<s:Fault><faultcode xmlns:a=\"x\">a:ErrorSchemaValidation</faultcode><faultstring>failed</faultstring>" +
                "<detail><e:ResponseCode xmlns:e=\"http://schemas.microsoft.com/exchange/services/2006/errors\">ErrorSchemaValidation</e:ResponseCode>" +
                "<e:Message xmlns:e=\"http://schemas.microsoft.com/exchange/services/2006/errors\">The element 'Message' has invalid child element 'Subject'.</e:Message>" +
                "<e:Line xmlns:e=\"http://schemas.microsoft.com/exchange/services/2006/errors\">1</e:Line><e:Position xmlns:e=\"http://schemas.microsoft.com/exchange/services/2006/errors\">742</e:Position></detail></s:Fault>"));
            Assert.Equal(1, schema.Fault!.Line);
            Assert.Equal(742, schema.Fault.Position);
            G5MailErrorException error = EwsErrors.FromResponse(schema, Endpoint, "anna", null, "1001");
            Assert.Equal(ErrorIds.SendFailed, error.ErrorId);
            Assert.Contains("position 742", error.Message);
        }

        [Fact]
        public void A_GetFolder_response_is_read_with_its_folder()
        {
            EwsResponse r = EwsResponseParser.Parse(Envelope($"<m:GetFolderResponse {Ns}><m:ResponseMessages><m:GetFolderResponseMessage ResponseClass=\"Success\">" +
                "<m:ResponseCode>NoError</m:ResponseCode><m:Folders><t:Folder><t:FolderId Id=\"AQMk\" ChangeKey=\"AQAA\"/><t:DisplayName>Sent Items</t:DisplayName>" +
                "<t:TotalCount>12</t:TotalCount></t:Folder></m:Folders></m:GetFolderResponseMessage></m:ResponseMessages></m:GetFolderResponse>", Version2019));
            Assert.Equal("GetFolder", r.Messages[0].Operation);
            Assert.Null(r.ErrorCode);
        }

        [Theory]
        [InlineData("<html><body>Login</body></html>")]
        [InlineData("<x:Envelope xmlns:x=\"urn:not-soap\"><x:Body/></x:Envelope>")]
        [InlineData("not xml at all")]
        public void Something_that_is_not_an_EWS_answer_is_a_FormatException(string body)
        {
            Assert.Throws<FormatException>(() => EwsResponseParser.Parse(body));
        }

        [Theory]
        [InlineData("ErrorInvalidRecipients", ErrorIds.InvalidAddress)]
        [InlineData("ErrorMessageSizeExceeded", ErrorIds.MessageTooLarge)]
        [InlineData("ErrorAccessDenied", ErrorIds.PermissionDenied)]
        [InlineData("ErrorSendAsDenied", ErrorIds.PermissionDenied)]
        [InlineData("ErrorServerBusy", ErrorIds.SendFailed)]
        [InlineData("ErrorQuotaExceeded", ErrorIds.SendFailed)]
        [InlineData("ErrorInvalidServerVersion", ErrorIds.SendFailed)]
        [InlineData("ErrorSomethingNew", ErrorIds.SendFailed)]
        public void Response_codes_map_to_the_contract_error_ids(string code, string errorId)
        {
            EwsResponse r = EwsResponseParser.Parse(CreateItemError(code, "Exchange says no."));
            G5MailErrorException error = EwsErrors.FromResponse(r, Endpoint, @"G5TEST\anna", "order@example.com", "1001");
            Assert.Equal(errorId, error.ErrorId);
            Assert.Contains(code, error.Message);
            Assert.Contains("Exchange says no.", error.Message);
            Assert.Equal("1001", error.Target);
        }

        [Theory]
        [InlineData(HttpStatusCode.Unauthorized, ErrorIds.AuthenticationFailed, ErrorKind.AuthenticationError)]
        [InlineData(HttpStatusCode.RequestEntityTooLarge, ErrorIds.MessageTooLarge, ErrorKind.LimitsExceeded)]
        [InlineData(HttpStatusCode.Forbidden, ErrorIds.PermissionDenied, ErrorKind.PermissionDenied)]
        [InlineData(HttpStatusCode.NotFound, ErrorIds.ConnectionFailed, ErrorKind.ObjectNotFound)]
        [InlineData(HttpStatusCode.Found, ErrorIds.ConnectionFailed, ErrorKind.ConnectionError)]
        [InlineData(HttpStatusCode.ServiceUnavailable, ErrorIds.SendFailed, ErrorKind.ResourceUnavailable)]
        [InlineData(HttpStatusCode.BadGateway, ErrorIds.SendFailed, ErrorKind.NotSpecified)]
        public void HTTP_statuses_map_to_the_contract_error_ids(HttpStatusCode status, string errorId, ErrorKind kind)
        {
            G5MailErrorException error = EwsErrors.FromStatus(status, "https://mail.example.com/owa/auth/logon.aspx", Endpoint, @"G5TEST\anna", 70_000_000, "1001");
            Assert.Equal(errorId, error.ErrorId);
            Assert.Equal(kind, error.Kind);
        }

        [Fact]
        public void The_413_message_says_how_big_the_request_was_and_what_to_change()
        {
            G5MailErrorException error = EwsErrors.FromStatus(HttpStatusCode.RequestEntityTooLarge, null, Endpoint, "anna", 70_000_000, "1001");
            Assert.Contains("66.8 MB", error.Message);
            Assert.Contains("MaxAttachmentSizeMB", error.Message);
        }

        [Fact]
        public void Throttling_is_transient_and_carries_the_back_off_for_the_shared_retry_policy()
        {
            EwsResponse busy = EwsResponseParser.Parse(CreateItemError("ErrorServerBusy", "The server cannot service this request right now. Try again later.",
                "<m:MessageXml><t:Value Name=\"BackOffMilliseconds\">2500</t:Value></m:MessageXml>"));
            G5MailErrorException error = EwsErrors.FromResponse(busy, Endpoint, "anna", null, "1001");
            Assert.Equal(FailureClass.Transient, error.Failure);
            Assert.Equal(TimeSpan.FromMilliseconds(2500), error.RetryAfter);
            Assert.Equal("ErrorServerBusy (BackOffMilliseconds 2500)", error.Cause);

            G5MailErrorException unavailable = EwsErrors.FromStatus(HttpStatusCode.ServiceUnavailable, null, Endpoint, "anna", 1000, "1001");
            Assert.Equal(FailureClass.Transient, unavailable.Failure);
            Assert.Null(unavailable.RetryAfter);

            G5MailErrorException denied = EwsErrors.FromResponse(EwsResponseParser.Parse(CreateItemError("ErrorAccessDenied", "No.")), Endpoint, "anna", null, "1001");
            Assert.Equal(FailureClass.Permanent, denied.Failure);
        }
    }
}
