using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using G5Mail.Core.Errors;
using G5Mail.Core.Runs;
using MimeKit;
using MimeKit.Utils;

namespace G5Mail.Core.Mailbox
{
    /// <summary>
    /// Tells whether a message is a delivery status notification and reads it: RFC 3464 (multipart/report;
    /// report-type=delivery-status with a message/delivery-status part), RFC 6533 (message/global-delivery-status with
    /// UTF-8 fields, message/global-headers or message/global returned), and the non-delivery reports of Exchange and
    /// Exchange Online, which are RFC 3464 reports (and carry X-MS-Exchange-Message-Is-Ndr).
    /// </summary>
    /// <remarks>
    /// The status fields are read here from the part's decoded bytes rather than through MimeKit's
    /// MessageDeliveryStatus.StatusGroups (which MimeKit 4.18 does create for both message/delivery-status and
    /// message/global-delivery-status): a status part that is not a MessageDeliveryStatus (an unknown or hand-built shape)
    /// reads the same way, a damaged part is reported with the line that is wrong, and the bytes are read as UTF-8
    /// (RFC 6533 3; plain RFC 3464 fields are US-ASCII, a subset) or as Latin-1 when they are not valid UTF-8, so no
    /// byte is lost or turned into an exception.
    /// </remarks>
    public static class DeliveryStatusReader
    {
        /// <summary>RFC 3464 2.1 and RFC 6533 6.1-6.3.</summary>
        public const string DeliveryStatusType = "delivery-status";
        public const string GlobalDeliveryStatusType = "global-delivery-status";

        /// <summary>
        /// Set by Exchange and Exchange Online on the non-delivery reports they generate (the header is present, its value
        /// empty); such a message must carry a status part, so one without is unreadable rather than "not a report".
        /// </summary>
        public const string ExchangeNdrHeader = "X-MS-Exchange-Message-Is-Ndr";

        /// <summary>No delivery status is this large; a part that is (or a runaway one) is not read into memory.</summary>
        private const int MaxStatusBytes = 1024 * 1024;

        private static readonly string[] Actions = { "failed", "delayed", "delivered", "relayed", "expanded" };

        // RFC 3463 2: class "." subject "." detail; class 2, 4 or 5, subject and detail 1-3 digits. Servers may follow it
        // with a comment ("5.0.0 (permanent failure)").
        private static readonly Regex StatusCode = new Regex(@"^\s*([245])\.(\d{1,3})\.(\d{1,3})(?!\d)", RegexOptions.CultureInvariant);

        // RFC 3464 2.1.2 / 2.3.6: diagnostic-type ";" text; the type is an atom (smtp, X-Postfix, X-Unix...).
        private static readonly Regex TypePrefix = new Regex(@"^\s*[A-Za-z0-9][A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]*\s*;\s*", RegexOptions.CultureInvariant);

        // RFC 6533 3: a utf-8 address type writes characters as \x{HEXPOINT} (always in utf-8-addr-xtext, for some in unitext).
        private static readonly Regex EscapedCodePoint = new Regex(@"\\x\{([0-9A-Fa-f]{1,6})\}", RegexOptions.CultureInvariant);

        /// <summary>
        /// Whether the message claims to be a delivery status notification, from its structure alone: a multipart/report
        /// of report-type delivery-status or global-delivery-status, a status part anywhere in its own tree, or the
        /// Exchange NDR header. Cheap: nothing is decoded.
        /// </summary>
        public static bool IsDeliveryStatusNotification(MimeMessage message)
        {
            if (message == null)
            {
                throw new ArgumentNullException(nameof(message));
            }

            if (message.Headers.Contains(ExchangeNdrHeader))
            {
                return true;
            }

            return OwnEntities(message.Body).Any(e => IsReportContainer(e) || IsStatusPart(e));
        }

        /// <summary>
        /// Reads the report; null when the message is not a delivery status notification (an ordinary mail, a read
        /// receipt). Throws G5MailErrorException MessageUnreadable (target <paramref name="target"/>) when it claims to
        /// be one but its status part is missing, cannot be decoded, or has no per-recipient group that can be read;
        /// a group that cannot be read among readable ones is left out with a warning on <paramref name="log"/>.
        /// </summary>
        /// <param name="target">What the error names: the report's Message-ID or the server's id of it.</param>
        public static DeliveryStatusNotification? Read(MimeMessage message, string target, IRunLog? log = null)
        {
            if (message == null)
            {
                throw new ArgumentNullException(nameof(message));
            }

            if (!IsDeliveryStatusNotification(message))
            {
                return null;
            }

            List<MimeEntity> entities = OwnEntities(message.Body).ToList();
            MimeEntity? statusPart = entities.FirstOrDefault(IsStatusPart);
            if (statusPart == null)
            {
                throw Unreadable(target, "it is a delivery report (" + Claim(message, entities) + ") without a message/delivery-status part");
            }

            List<List<Field>> groups = ReadGroups(statusPart, target);
            string format = "message/" + statusPart.ContentType.MediaSubtype.ToLowerInvariant();

            // RFC 3464 2.1: the per-message fields come first, then one group per recipient. A report without the
            // per-message group (seen from hand-written MTAs) starts directly with a recipient.
            List<Field> perMessage = groups.Count > 0 && !IsRecipientGroup(groups[0]) ? groups[0] : new List<Field>();
            var recipients = new List<RecipientStatus>();
            var problems = new List<string>();
            foreach (List<Field> group in groups.Skip(perMessage.Count > 0 ? 1 : 0))
            {
                RecipientStatus? recipient = ReadRecipient(group, out string? problem);
                if (recipient != null)
                {
                    recipients.Add(recipient);
                }
                else
                {
                    problems.Add(problem!);
                }
            }

            if (recipients.Count == 0)
            {
                throw Unreadable(target, problems.Count > 0
                    ? "its delivery status has no recipient that can be read (" + string.Join("; ", problems) + ")"
                    : "its delivery status names no recipient");
            }

            foreach (string problem in problems)
            {
                log?.Warning($"Delivery report {target}: a recipient group was left out ({problem}); the other recipients are reported.");
            }

            var report = new DeliveryStatusNotification(format, recipients)
            {
                ReportingMta = WithoutType(Value(perMessage, "Reporting-MTA")),
                OriginalEnvelopeId = Blank(Value(perMessage, "Original-Envelope-Id")),
            };

            HeaderList? returned = ReturnedHeaders(entities);
            var ids = new List<string>();
            AddIds(ids, returned?[HeaderId.MessageId]);
            AddIds(ids, Value(perMessage, "X-Original-Message-ID"));
            AddIds(ids, message.Headers[HeaderId.InReplyTo]);
            if (report.OriginalEnvelopeId != null && !ids.Contains(report.OriginalEnvelopeId.Trim('<', '>')))
            {
                ids.Add(report.OriginalEnvelopeId.Trim('<', '>'));
            }

            report.OriginalMessageIds = ids;
            report.OriginalSubject = Blank(returned?[HeaderId.Subject]);
            return report;
        }

        /// <summary>
        /// The short word for a recipient's outcome (RFC 3463 codes; RFC 3464 2.3.3 actions). Action decides first:
        /// delayed is Delayed, a success (delivered, relayed, expanded) is Other; then the status' subject.detail.
        /// </summary>
        public static DeliveryReason ReasonOf(string? action, string? status)
        {
            string verb = (action ?? string.Empty).Trim().ToLowerInvariant();
            if (verb == "delayed")
            {
                return DeliveryReason.Delayed;
            }

            if (verb == "delivered" || verb == "relayed" || verb == "expanded")
            {
                return DeliveryReason.Other;
            }

            Match code = StatusCode.Match(status ?? string.Empty);
            if (!code.Success)
            {
                return DeliveryReason.Other;
            }

            if (code.Groups[1].Value == "2")
            {
                return DeliveryReason.Other;
            }

            int subject = int.Parse(code.Groups[2].Value, CultureInfo.InvariantCulture);
            int detail = int.Parse(code.Groups[3].Value, CultureInfo.InvariantCulture);
            switch (subject * 1000 + detail)
            {
                // RFC 3463 3.2: X.1.1 bad destination mailbox address, X.1.3 bad destination mailbox address syntax,
                // X.1.6 destination mailbox has moved (no forwarding address). X.1.10 is registered for a null MX
                // (RFC 7505 4.2), but Exchange Online sends 5.1.10 RESOLVER.ADR.RecipientNotFound for an unknown
                // recipient (learn.microsoft.com "Fix email delivery issues for error code 5.1.10 in Exchange Online"),
                // by far the commoner case for the mail G5Mail sends.
                case 1001:
                case 1003:
                case 1006:
                case 1010:
                    return DeliveryReason.MailboxUnknown;

                // X.1.2 bad destination system address (RFC 3463 3.2); X.4.4 unable to route: no MX or A record (3.5).
                case 1002:
                case 4004:
                    return DeliveryReason.DomainUnknown;

                // X.2.2 mailbox full (3.3).
                case 2002:
                    return DeliveryReason.MailboxFull;

                // X.2.3 message length exceeds administrative limit (3.3); X.3.4 message too big for system (3.4).
                case 2003:
                case 3004:
                    return DeliveryReason.MessageTooLarge;
            }

            // X.7.x security or policy status (3.8) and every other failure: the message was refused.
            return DeliveryReason.Rejected;
        }

        private static bool IsReportContainer(MimeEntity entity)
        {
            if (!(entity is Multipart) || !entity.ContentType.IsMimeType("multipart", "report"))
            {
                return false;
            }

            string? type = entity.ContentType.Parameters["report-type"];
            return string.Equals(type, DeliveryStatusType, StringComparison.OrdinalIgnoreCase)
                   || string.Equals(type, GlobalDeliveryStatusType, StringComparison.OrdinalIgnoreCase);
        }

        private static bool IsStatusPart(MimeEntity entity) =>
            entity.ContentType.IsMimeType("message", DeliveryStatusType) || entity.ContentType.IsMimeType("message", GlobalDeliveryStatusType);

        private static string Claim(MimeMessage message, List<MimeEntity> entities)
        {
            MimeEntity? container = entities.FirstOrDefault(IsReportContainer);
            return container != null
                ? "multipart/report; report-type=" + container.ContentType.Parameters["report-type"]
                : "the " + ExchangeNdrHeader + " header";
        }

        /// <summary>The message's own entities, depth first; not those inside an attached message (a forwarded report is not this one).</summary>
        private static IEnumerable<MimeEntity> OwnEntities(MimeEntity? entity)
        {
            if (entity == null)
            {
                yield break;
            }

            yield return entity;
            if (entity is Multipart multipart)
            {
                foreach (MimeEntity child in multipart)
                {
                    foreach (MimeEntity inner in OwnEntities(child))
                    {
                        yield return inner;
                    }
                }
            }
        }

        /// <summary>A field of a status group: its name as written and its unfolded value.</summary>
        private sealed class Field
        {
            public Field(string name, string value)
            {
                Name = name;
                Value = value;
            }

            public string Name { get; }
            public string Value { get; set; }
        }

        /// <summary>RFC 3464 2.1: groups of header-style fields separated by blank lines; folded lines joined (RFC 5322 2.2.3).</summary>
        private static List<List<Field>> ReadGroups(MimeEntity statusPart, string target)
        {
            string text = StatusText(statusPart, target);
            var groups = new List<List<Field>>();
            List<Field>? group = null;
            int lineNumber = 0;
            foreach (string raw in text.Split('\n'))
            {
                lineNumber++;
                string line = raw.TrimEnd('\r');
                if (line.Trim().Length == 0)
                {
                    group = null;
                    continue;
                }

                if (line[0] == ' ' || line[0] == '\t')
                {
                    if (group == null || group.Count == 0)
                    {
                        throw Unreadable(target, $"line {lineNumber} of its delivery status continues no field");
                    }

                    group[group.Count - 1].Value += " " + line.Trim();
                    continue;
                }

                int colon = line.IndexOf(':');
                string name = colon > 0 ? line.Substring(0, colon) : string.Empty;
                if (name.Length == 0 || name.Any(c => c <= ' ' || c >= 127))
                {
                    throw Unreadable(target, $"line {lineNumber} of its delivery status is not a field");
                }

                if (group == null)
                {
                    group = new List<Field>();
                    groups.Add(group);
                }

                group.Add(new Field(name, line.Substring(colon + 1).Trim()));
            }

            return groups;
        }

        private static string StatusText(MimeEntity statusPart, string target)
        {
            if (!(statusPart is MimePart part) || part.Content == null)
            {
                throw Unreadable(target, "its delivery status part is empty");
            }

            byte[] bytes;
            try
            {
                using (var buffer = new MemoryStream())
                using (var limited = new LimitedStream(buffer, MaxStatusBytes))
                {
                    part.Content.DecodeTo(limited);
                    bytes = buffer.ToArray();
                }
            }
            catch (Exception ex) when (ex is IOException || ex is FormatException || ex is InvalidOperationException)
            {
                throw Unreadable(target, "its delivery status part cannot be decoded (" + ex.Message + ")", ex);
            }

            try
            {
                return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
            }
            catch (DecoderFallbackException)
            {
                return Encoding.GetEncoding("ISO-8859-1").GetString(bytes);
            }
        }

        private static bool IsRecipientGroup(List<Field> group) =>
            Value(group, "Final-Recipient") != null || Value(group, "Original-Recipient") != null || Value(group, "Action") != null;

        private static RecipientStatus? ReadRecipient(List<Field> group, out string? problem)
        {
            string? final = Address(Value(group, "Final-Recipient"));
            string? original = Address(Value(group, "Original-Recipient"));
            string? action = Blank(Value(group, "Action"))?.ToLowerInvariant();
            string? statusText = Value(group, "Status");
            Match status = StatusCode.Match(statusText ?? string.Empty);
            string who = final ?? original ?? "a recipient";

            // RFC 3464 2.3: Final-Recipient, Action and Status are required in every per-recipient group.
            if (final == null && original == null)
            {
                problem = "a group without Final-Recipient";
                return null;
            }

            if (action == null || Array.IndexOf(Actions, action) < 0)
            {
                problem = action == null ? $"{who} has no Action" : $"{who} has the unknown Action '{action}'";
                return null;
            }

            if (!status.Success)
            {
                problem = statusText == null ? $"{who} has no Status" : $"{who} has the Status '{statusText}', not a class.subject.detail code";
                return null;
            }

            string code = status.Groups[1].Value + "." + int.Parse(status.Groups[2].Value, CultureInfo.InvariantCulture)
                          + "." + int.Parse(status.Groups[3].Value, CultureInfo.InvariantCulture);
            string? lastAttempt = Value(group, "Last-Attempt-Date");
            problem = null;
            return new RecipientStatus
            {
                Recipient = (final ?? original)!,
                OriginalRecipient = original,
                Action = action,
                Status = code,
                Diagnostic = Blank(Collapse(WithoutType(Value(group, "Diagnostic-Code")))),
                RemoteMta = WithoutType(Value(group, "Remote-MTA")),
                LastAttemptDate = lastAttempt != null && DateUtils.TryParse(lastAttempt, out DateTimeOffset when) ? when : (DateTimeOffset?)null,
                Reason = ReasonOf(action, code),
            };
        }

        private static string? Value(List<Field> group, string name) =>
            group.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase))?.Value;

        /// <summary>"rfc822; a@b" or "utf-8; å@b" (RFC 3464 2.3.2, RFC 6533 3): the address, \x{...} escapes decoded.</summary>
        private static string? Address(string? value)
        {
            if (value == null)
            {
                return null;
            }

            Match type = TypePrefix.Match(value);
            string address = type.Success ? value.Substring(type.Length) : value;
            if (type.Success && value.Substring(0, type.Length).TrimStart().StartsWith("utf-8", StringComparison.OrdinalIgnoreCase))
            {
                address = EscapedCodePoint.Replace(address, m =>
                {
                    int point = int.Parse(m.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                    return point <= 0x10FFFF && (point < 0xD800 || point > 0xDFFF) ? char.ConvertFromUtf32(point) : m.Value;
                });
            }

            return Blank(address.Trim().TrimStart('<').TrimEnd('>').Trim());
        }

        private static string? WithoutType(string? value)
        {
            if (value == null)
            {
                return null;
            }

            Match type = TypePrefix.Match(value);
            return Blank(type.Success ? value.Substring(type.Length) : value);
        }

        private static string? Collapse(string? value) => value == null ? null : Regex.Replace(value, @"\s+", " ").Trim();

        private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value!.Trim();

        private static void AddIds(List<string> ids, string? header)
        {
            if (string.IsNullOrWhiteSpace(header))
            {
                return;
            }

            var found = MimeUtils.EnumerateReferences(header!).ToList();
            if (found.Count == 0 && header!.IndexOf('<') < 0)
            {
                found.Add(header.Trim()); // an id written without brackets
            }

            foreach (string id in found)
            {
                if (!ids.Contains(id))
                {
                    ids.Add(id);
                }
            }
        }

        /// <summary>
        /// The headers of the returned message: message/rfc822 or message/global (RFC 6532 3.7), text/rfc822-headers
        /// (RFC 6522 3) or message/global-headers (RFC 6533 6.3); the first one after the status part's report.
        /// </summary>
        private static HeaderList? ReturnedHeaders(List<MimeEntity> entities)
        {
            foreach (MimeEntity entity in entities)
            {
                if (entity is MessagePart attached && attached.Message != null)
                {
                    return attached.Message.Headers;
                }

                bool returnedType = entity.ContentType.IsMimeType("message", "rfc822") || entity.ContentType.IsMimeType("message", "global")
                                    || entity.ContentType.IsMimeType("text", "rfc822-headers") || entity.ContentType.IsMimeType("message", "global-headers");
                if (returnedType && entity is MimePart part && part.Content != null)
                {
                    // Encoded (base64, quoted-printable) against RFC 2046 5.2.1, so MimeKit left it opaque: decode, read the headers.
                    try
                    {
                        using (var buffer = new MemoryStream())
                        using (var limited = new LimitedStream(buffer, MaxStatusBytes))
                        {
                            try
                            {
                                part.Content.DecodeTo(limited);
                            }
                            catch (IOException)
                            {
                                // Longer than needed: the headers are at the start.
                            }

                            buffer.Position = 0;
                            return HeaderList.Load(buffer);
                        }
                    }
                    catch (Exception ex) when (ex is FormatException || ex is ParseException || ex is IOException)
                    {
                        return null;
                    }
                }
            }

            return null;
        }

        private static G5MailErrorException Unreadable(string target, string why, Exception? inner = null) =>
            new G5MailErrorException(ErrorIds.MessageUnreadable, ErrorKind.InvalidData,
                $"The delivery report {target} cannot be read: {why}. It is left in the mailbox as it was; the other messages are read.",
                target, inner);

        /// <summary>Passes writes through up to a limit, then throws IOException: a status part is never read into memory whole when huge.</summary>
        private sealed class LimitedStream : Stream
        {
            private readonly Stream _inner;
            private readonly long _limit;

            public LimitedStream(Stream inner, long limit)
            {
                _inner = inner;
                _limit = limit;
            }

            public override bool CanRead => false;
            public override bool CanSeek => false;
            public override bool CanWrite => true;
            public override long Length => _inner.Length;
            public override long Position { get => _inner.Position; set => throw new NotSupportedException(); }

            public override void Write(byte[] buffer, int offset, int count)
            {
                if (_inner.Length + count > _limit)
                {
                    int room = (int)Math.Max(0, _limit - _inner.Length);
                    _inner.Write(buffer, offset, room);
                    throw new IOException($"the part is larger than {_limit / 1024} KB");
                }

                _inner.Write(buffer, offset, count);
            }

            public override void Flush() => _inner.Flush();
            public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
            public override void SetLength(long value) => throw new NotSupportedException();
        }
    }
}
