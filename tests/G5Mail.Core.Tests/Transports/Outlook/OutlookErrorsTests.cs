using System;
using System.Runtime.InteropServices;
using G5Mail.Core.Errors;
using G5Mail.Core.Transports.Outlook;
using Xunit;

namespace G5Mail.Core.Tests.Transports.Outlook
{
    /// <summary>Each HRESULT Outlook is documented to return maps to the contract id a script can act on.</summary>
    public sealed class OutlookErrorsTests
    {
        [Theory]
        [InlineData(0x80040154u, (int)OutlookStep.Start, ErrorIds.MethodNotSupported, "not installed")]      // REGDB_E_CLASSNOTREG
        [InlineData(0x800401F3u, (int)OutlookStep.Start, ErrorIds.MethodNotSupported, "not installed")]      // CO_E_CLASSSTRING
        [InlineData(0x80080005u, (int)OutlookStep.Start, ErrorIds.ConnectionFailed, "administrator")]        // CO_E_SERVER_EXEC_FAILURE
        [InlineData(0x80070005u, (int)OutlookStep.Start, ErrorIds.PermissionDenied, "administrator")]        // E_ACCESSDENIED at start
        [InlineData(0x80070005u, (int)OutlookStep.Send, ErrorIds.PermissionDenied, "security guard")]        // E_ACCESSDENIED from the guard
        [InlineData(0x80004004u, (int)OutlookStep.Send, ErrorIds.PermissionDenied, "security guard")]        // E_ABORT: Deny in the prompt
        [InlineData(0x80040102u, (int)OutlookStep.Recipients, ErrorIds.PermissionDenied, "security guard")]  // MAPI_E_NOT_SUPPORTED: address book Deny
        [InlineData(0x80040113u, (int)OutlookStep.Send, ErrorIds.SendFailed, "cancelled")]                   // MAPI_E_USER_CANCEL
        [InlineData(0x800704C7u, (int)OutlookStep.Save, ErrorIds.SendFailed, "cancelled")]                   // ERROR_CANCELLED
        [InlineData(0x80010001u, (int)OutlookStep.Send, ErrorIds.ConnectionFailed, "busy")]                  // RPC_E_CALL_REJECTED
        [InlineData(0x8001010Au, (int)OutlookStep.Display, ErrorIds.ConnectionFailed, "busy")]               // RPC_E_SERVERCALL_RETRYLATER
        [InlineData(0x800706BAu, (int)OutlookStep.Send, ErrorIds.DeliveryUncertain, "Sent Items")]           // RPC_S_SERVER_UNAVAILABLE
        [InlineData(0x80010108u, (int)OutlookStep.CreateItem, ErrorIds.ConnectionFailed, "closed")]          // RPC_E_DISCONNECTED
        [InlineData(0x80004005u, (int)OutlookStep.Attachment, ErrorIds.SendFailed, "attach the files")]      // E_FAIL
        public void Maps_the_hresult_to_the_contract_id(uint hresult, int step, string errorId, string says)
        {
            var com = new COMException("Outlook said no.", unchecked((int)hresult));

            G5MailErrorException error = OutlookErrors.Map(com, (OutlookStep)step);

            Assert.Equal(errorId, error.ErrorId);
            Assert.Contains(says, error.Message);
            Assert.Contains("0x" + hresult.ToString("X8"), error.Message);
            Assert.Same(com, error.InnerException);
        }

        [Fact]
        public void UnauthorizedAccessException_is_what_interop_raises_for_E_ACCESSDENIED_and_maps_the_same()
        {
            G5MailErrorException error = OutlookErrors.Map(new UnauthorizedAccessException("Access is denied."), OutlookStep.Send);

            Assert.Equal(ErrorIds.PermissionDenied, error.ErrorId);
        }

        [Fact]
        public void A_detached_object_is_Outlook_gone()
        {
            G5MailErrorException error = OutlookErrors.Map(new InvalidComObjectException("COM object that has been separated from its underlying RCW cannot be used."), OutlookStep.Recipients);

            Assert.Equal(ErrorIds.ConnectionFailed, error.ErrorId);
            Assert.Equal(ErrorKind.ConnectionError, error.Kind);
            Assert.Equal(FailureClass.Permanent, error.Failure);

            // Gone during Send itself: Outlook may have taken the message, so it is Uncertain, never resent.
            G5MailErrorException atSend = OutlookErrors.Map(new InvalidComObjectException("separated"), OutlookStep.Send);
            Assert.Equal(ErrorIds.DeliveryUncertain, atSend.ErrorId);
            Assert.Equal(FailureClass.Uncertain, atSend.Failure);
        }

        [Fact]
        public void Only_COM_failures_are_treated_as_Outlook_errors()
        {
            Assert.True(OutlookErrors.IsComFailure(new COMException("x", OutlookErrors.E_FAIL)));
            Assert.True(OutlookErrors.IsComFailure(new UnauthorizedAccessException()));
            Assert.False(OutlookErrors.IsComFailure(new InvalidOperationException()));
            Assert.False(OutlookErrors.IsComFailure(new OperationCanceledException()));
        }
    }
}
