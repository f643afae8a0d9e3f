using System;
using System.Threading;
using System.Threading.Tasks;
using G5Mail.Core.Calendar;
using G5Mail.Core.Errors;

namespace G5Mail.Core.Transports.Smtp
{
    /// <summary>
    /// Calendar changes as iMIP invitations (RFC 6047) through the SMTP transport: one mail per change to the organizer and
    /// the attendees (<see cref="InvitationMessage"/>), over the same connection, login and error rules as documents.
    /// </summary>
    public sealed class SmtpInvitationTransport : ICalendarTransport
    {
        private readonly SmtpTransport _smtp;
        private readonly string? _from;

        /// <param name="from">The settings' From: the sender of every invitation (the organizer's own address when none is set).</param>
        public SmtpInvitationTransport(SmtpTransport smtp, string? from)
        {
            _smtp = smtp;
            _from = from;
        }

        public string Server => _smtp.Server;

        public bool WritesFiles => false;

        public async Task<CalendarReceipt> ApplyAsync(CalendarChange change, CancellationToken cancellationToken)
        {
            InvitationMessage invitation = InvitationMessage.Compose(change, _from);
            try
            {
                TransportReceipt receipt = await _smtp.SendAsync(invitation.ToMimeMessage, invitation.MessageId,
                    $"activity {change.Activity.ActivityId}", cancellationToken).ConfigureAwait(false);
                return new CalendarReceipt(receipt.MessageId);
            }
            catch (G5MailErrorException ex) when (ex.Failure == FailureClass.Uncertain)
            {
                // The document advice (a journal) does not apply: the state makes the next run send an update of the same event.
                throw new G5MailErrorException(ex.ErrorId, ex.Kind,
                    $"The connection to {Server} failed ({ex.Cause}) after the invitation {invitation.MessageId} for activity {change.Activity.ActivityId} "
                    + "had been sent, before the server confirmed it. It may or may not have been delivered. With -StatePath the next run sends it "
                    + "again as an update (the same UID, a higher SEQUENCE): calendars get one event either way.", ex.Target, ex)
                {
                    Failure = ex.Failure,
                    Cause = ex.Cause,
                    Scope = ex.Scope,
                };
            }
        }

        public void Dispose() => _smtp.Dispose();
    }
}
