using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using G5Mail.Core.Documents;
using G5Mail.Core.Errors;
using G5Mail.Core.Messages;
using G5Mail.Core.Runs;
using G5Mail.Core.Settings;
using G5Mail.Core.Transports;
using G5Mail.Core.Transports.Outlook;
using Xunit;

namespace G5Mail.Core.Tests.Transports.Outlook
{
    /// <summary>
    /// The whole Outlook path of Send-G5Document (planning, composing, recipients, body, attachments, results, error
    /// mapping, release) against <see cref="RecordingOutlook"/>. The COM calls themselves (OutlookComApplication) are
    /// verified only on Windows with classic Outlook installed; no test here can reach them.
    /// </summary>
    public sealed class OutlookTransportTests : IDisposable
    {
        private readonly TempFolder _folder = new TempFolder();
        private readonly RecordingOutlook _outlook = new RecordingOutlook();
        private readonly ListRunLog _log = new ListRunLog();

        public void Dispose() => _folder.Dispose();

        private DocumentRequest Doc(string id, string to, string? cc = null, string? bcc = null, bool xml = false, int size = 1000, int index = 0)
        {
            var paths = new List<string> { _folder.RandomFile(id + ".pdf", size, size + id.Length) };
            if (xml)
            {
                paths.Add(_folder.File(id + ".xml", "<Order nr=\"" + id + "\"/>"));
            }

            return new DocumentRequest
            {
                Paths = paths,
                To = new[] { to },
                Cc = cc == null ? Array.Empty<string>() : new[] { cc },
                Bcc = bcc == null ? Array.Empty<string>() : new[] { bcc },
                InputIndex = index,
            };
        }

        private List<SendResult> Run(OutlookAction action, Action<SettingValues>? configure, params DocumentRequest[] requests)
        {
            var settings = new SettingValues { Method = MailMethod.Outlook };
            configure?.Invoke(settings);
            var outcomes = new List<SendResult>();
            // Message-level retries are tested in Delivery; here each message gets one attempt (Outlook's own busy waits still apply).
            using (var run = new SendRun(new SendRunOptions(settings) { OutlookAction = action, Retry = RetryPolicy.None }, () => _outlook.CreateTransport(action, _log), _log))
            {
                foreach (DocumentRequest request in requests)
                {
                    SendResult? rejected = run.Collect(request);
                    if (rejected != null)
                    {
                        outcomes.Add(rejected);
                    }
                }

                foreach (PlannedMessage planned in run.Plan().Messages)
                {
                    outcomes.Add(run.SendAsync(planned, CancellationToken.None).GetAwaiter().GetResult());
                }
            }

            return outcomes;
        }

        [Fact]
        public void Send_creates_the_item_with_recipients_text_and_files_then_sends_and_releases_everything()
        {
            DocumentRequest doc = Doc("1001", "kund@example.se", cc: "Inköp <inkop@example.se>", bcc: "arkiv@example.se", xml: true);

            SendResult outcome = Assert.Single(Run(OutlookAction.Send, null, doc));

            Assert.Equal(SendStatus.Sent, outcome.Status);
            Assert.Null(outcome.Error);
            Assert.Equal("Outlook", outcome.Method);
            Assert.Equal("Outlook 16.0.0.17928", outcome.Server);
            Assert.Null(outcome.MessageId); // Outlook gives its own Message-ID; the composed one was never used.
            Assert.NotNull(outcome.SentAt);
            Assert.Null(outcome.Reason);

            RecordingMailItem item = Assert.Single(_outlook.Items);
            Assert.Equal(new[] { ("kund@example.se", OutlookRecipientType.To), ("inkop@example.se", OutlookRecipientType.Cc), ("arkiv@example.se", OutlookRecipientType.Bcc) },
                item.Recipients.ToArray());
            Assert.Equal("Dokument 1001", item.Subject);
            Assert.Equal(new[] { "1001.pdf", "1001.xml" }, item.Attachments.Select(a => a.DisplayName));
            Assert.Equal(doc.Paths, item.Attachments.Select(a => a.Path));
            Assert.Equal("Sent", item.Fate);

            // The order of the object-model calls, the releases last: item after its message, Outlook at the end of the pipeline.
            Assert.Equal(new[]
            {
                "Connect", "Version", "CreateItem(0)",
                "Recipients.Add(kund@example.se).Type=1", "Recipients.Add(inkop@example.se).Type=2", "Recipients.Add(arkiv@example.se).Type=3",
                "Recipients.ResolveAll()", "Subject=Dokument 1001", "GetInspector", "HTMLBody=",
                $"Attachments.Add({doc.Paths[0]},1,{item.Body!.Length + 1},1001.pdf)", $"Attachments.Add({doc.Paths[1]},1,{item.Body.Length + 1},1001.xml)",
                "Send()", "Release(Item 1)", "Release(Application)",
            }, _outlook.Calls);
            Assert.Equal(1, item.Releases);
            Assert.Equal(1, _outlook.ApplicationReleases);
        }

        [Fact]
        public void The_text_goes_above_the_users_signature_in_the_items_html()
        {
            Run(OutlookAction.Send, null, Doc("1001", "kund@example.se"));

            RecordingMailItem item = Assert.Single(_outlook.Items);
            Assert.True(item.BodyIsHtml);
            string body = item.Body!;
            int text = body.IndexOf("Bifogat finns dokument 1001 (1001.pdf).", StringComparison.Ordinal);
            int signature = body.IndexOf("Med vänlig hälsning", StringComparison.Ordinal);
            Assert.True(text > body.IndexOf("<body lang=SV>", StringComparison.Ordinal) && text < signature, body);
            Assert.StartsWith("<html><head><style>p{margin:0}</style></head><body lang=SV><div>", body);
        }

        [Fact]
        public void Display_opens_the_message_and_reports_a_draft()
        {
            SendResult outcome = Assert.Single(Run(OutlookAction.Display, null, Doc("1001", "kund@example.se")));

            Assert.Equal(SendStatus.Draft, outcome.Status);
            Assert.Equal(DraftReasons.Displayed, outcome.Reason);
            Assert.Null(outcome.SentAt);
            Assert.Null(outcome.Path);
            Assert.Equal("Displayed", _outlook.Items[0].Fate);
            Assert.Contains("Display(false)", _outlook.Calls);
            Assert.DoesNotContain("Send()", _outlook.Calls);
            Assert.Equal(1, _outlook.Items[0].Releases);
            Assert.Equal(1, _outlook.ApplicationReleases);
        }

        [Fact]
        public void SaveAsDraft_saves_to_drafts_and_reports_a_draft()
        {
            SendResult outcome = Assert.Single(Run(OutlookAction.SaveAsDraft, null, Doc("1001", "kund@example.se")));

            Assert.Equal(SendStatus.Draft, outcome.Status);
            Assert.Equal(DraftReasons.SavedToDrafts, outcome.Reason);
            Assert.Equal("Saved", _outlook.Items[0].Fate);
            Assert.DoesNotContain("Send()", _outlook.Calls);
            Assert.DoesNotContain("Display(false)", _outlook.Calls);
        }

        [Fact]
        public void Combined_and_split_documents_become_one_item_per_planned_message_on_one_connection()
        {
            var outcomes = Run(OutlookAction.Send, s => { s.CombineDocuments = true; s.MaxAttachmentSizeMB = 2500 / 1_048_576d; },
                Doc("2001", "kund@example.se", size: 1500, index: 0),
                Doc("2002", "KUND@example.se", size: 1500, index: 1),
                Doc("2003", "kund@example.se", size: 900, index: 2),
                Doc("3001", "annan@example.se", size: 100, index: 3));

            Assert.All(outcomes, o => Assert.Equal(SendStatus.Sent, o.Status));
            Assert.Equal(3, _outlook.Items.Count);
            Assert.Equal(1, _outlook.Connects);
            Assert.Equal(new[] { "2001.pdf", "2003.pdf" }, _outlook.Items[0].Attachments.Select(a => a.DisplayName));
            Assert.Equal("Dokument 2001, 2003 (del 1 av 2)", _outlook.Items[0].Subject);
            Assert.Equal(new[] { "2002.pdf" }, _outlook.Items[1].Attachments.Select(a => a.DisplayName));
            Assert.Equal("Dokument 2002 (del 2 av 2)", _outlook.Items[1].Subject);
            Assert.Equal("annan@example.se", _outlook.Items[2].Recipients.Single().Address);
            Assert.All(_outlook.Items, i => Assert.Equal(1, i.Releases));
            Assert.Equal(1, _outlook.ApplicationReleases);
        }

        [Fact]
        public void The_object_model_guard_refusing_Send_is_PermissionDenied_and_the_rest_still_goes()
        {
            _outlook.Fail("Send", RecordingOutlook.Com(OutlookErrors.E_ABORT, "Operation aborted"));

            var outcomes = Run(OutlookAction.Send, null, Doc("1001", "kund@example.se", index: 0), Doc("1002", "kund@example.se", index: 1));

            Assert.Equal(SendStatus.Failed, outcomes[0].Status);
            Assert.Equal(ErrorIds.PermissionDenied, outcomes[0].Exception!.ErrorId);
            Assert.Equal(ErrorKind.PermissionDenied, outcomes[0].Exception!.Kind);
            Assert.Contains("Programmatic Access", outcomes[0].Exception!.Message);
            Assert.Contains("0x80004004", outcomes[0].Exception!.Message);
            Assert.Equal(SendStatus.Sent, outcomes[1].Status);
            // A failed Send is not "discarded": the item may already be on its way. It is still released.
            Assert.DoesNotContain("Close(1)", _outlook.Calls);
            Assert.All(_outlook.Items, i => Assert.Equal(1, i.Releases));
            Assert.Equal(1, _outlook.ApplicationReleases);
        }

        [Fact]
        public void Access_denied_from_the_guard_is_PermissionDenied()
        {
            _outlook.Fail("Send", new UnauthorizedAccessException("Access is denied. (0x80070005 (E_ACCESSDENIED))") { HResult = OutlookErrors.E_ACCESSDENIED });

            SendResult outcome = Assert.Single(Run(OutlookAction.Send, null, Doc("1001", "kund@example.se")));

            Assert.Equal(ErrorIds.PermissionDenied, outcome.Exception!.ErrorId);
        }

        [Fact]
        public void A_failure_while_building_the_item_discards_it_and_releases_it()
        {
            _outlook.Fail("Attachments.Add", RecordingOutlook.Com(unchecked((int)0x80070020), "The process cannot access the file because it is being used by another process."));

            SendResult outcome = Assert.Single(Run(OutlookAction.Send, null, Doc("1001", "kund@example.se")));

            Assert.Equal(SendStatus.Failed, outcome.Status);
            Assert.Equal(ErrorIds.SendFailed, outcome.Exception!.ErrorId);
            Assert.Contains("attach the files", outcome.Exception.Message);
            Assert.Contains("being used by another process", outcome.Exception.Message);
            Assert.Contains("0x80070020", outcome.Exception.Message);
            Assert.Equal("Discarded", _outlook.Items[0].Fate);
            Assert.Equal(new[] { "Close(1)", "Release(Item 1)", "Release(Application)" }, _outlook.Calls.Skip(_outlook.Calls.Count - 3));
        }

        [Fact]
        public void A_cancelled_dialog_is_SendFailed_saying_so()
        {
            _outlook.Fail("Send", RecordingOutlook.Com(OutlookErrors.MAPI_E_USER_CANCEL));

            SendResult outcome = Assert.Single(Run(OutlookAction.Send, null, Doc("1001", "kund@example.se")));

            Assert.Equal(ErrorIds.SendFailed, outcome.Exception!.ErrorId);
            Assert.Contains("cancelled", outcome.Exception.Message);
        }

        [Fact]
        public void A_busy_Outlook_is_asked_again_and_the_message_goes()
        {
            _outlook.Fail("Send", RecordingOutlook.Com(OutlookErrors.RPC_E_CALL_REJECTED, "Call was rejected by callee."), times: 2);

            SendResult outcome = Assert.Single(Run(OutlookAction.Send, null, Doc("1001", "kund@example.se")));

            Assert.Equal(SendStatus.Sent, outcome.Status);
            Assert.Equal(3, _outlook.Calls.Count(c => c.StartsWith("Send()", StringComparison.Ordinal)));
            Assert.Equal(2, _log.Verbose.Count(v => v.Contains("busy")));
        }

        [Fact]
        public void An_Outlook_that_stays_busy_is_ConnectionFailed_after_the_retries()
        {
            _outlook.Fail("Send", RecordingOutlook.Com(OutlookErrors.RPC_E_SERVERCALL_RETRYLATER), times: 10);

            SendResult outcome = Assert.Single(Run(OutlookAction.Send, null, Doc("1001", "kund@example.se")));

            Assert.Equal(ErrorIds.ConnectionFailed, outcome.Exception!.ErrorId);
            Assert.Equal(FailureClass.Transient, outcome.Exception.Failure);
            Assert.Contains("busy", outcome.Exception.Message);
            Assert.Contains("3 time(s)", outcome.Exception.Message);
            Assert.Equal(3, _outlook.Calls.Count(c => c.StartsWith("Send()", StringComparison.Ordinal)));
        }

        [Fact]
        public void Outlook_closing_during_Send_says_to_check_Sent_Items()
        {
            _outlook.Fail("Send", RecordingOutlook.Com(OutlookErrors.RPC_S_SERVER_UNAVAILABLE, "The RPC server is unavailable."));

            SendResult outcome = Assert.Single(Run(OutlookAction.Send, null, Doc("1001", "kund@example.se")));

            // Outlook may have put it in the Outbox: Uncertain, not Failed.
            Assert.Equal(SendStatus.Uncertain, outcome.Status);
            Assert.Equal(ErrorIds.DeliveryUncertain, outcome.Exception!.ErrorId);
            Assert.Contains("Sent Items", outcome.Exception.Message);
        }

        [Fact]
        public void Outlook_not_installed_fails_every_message_with_MethodNotSupported_after_one_attempt()
        {
            _outlook.Fail("Connect", RecordingOutlook.Com(OutlookErrors.REGDB_E_CLASSNOTREG, "Class not registered"));

            var outcomes = Run(OutlookAction.Send, null, Doc("1001", "a@example.se", index: 0), Doc("1002", "b@example.se", index: 1));

            Assert.Equal(2, outcomes.Count);
            Assert.All(outcomes, o =>
            {
                Assert.Equal(SendStatus.Failed, o.Status);
                Assert.Equal(ErrorIds.MethodNotSupported, o.Exception!.ErrorId);
                Assert.Contains("new Outlook", o.Exception.Message);
                Assert.Contains("-DraftDirectory", o.Exception.Message);
            });
            Assert.Single(_outlook.Calls, c => c.StartsWith("Connect", StringComparison.Ordinal));
            Assert.Empty(_outlook.Items);
        }

        [Fact]
        public void Different_privilege_levels_at_start_are_explained()
        {
            _outlook.Fail("Connect", RecordingOutlook.Com(OutlookErrors.CO_E_SERVER_EXEC_FAILURE, "Server execution failed"));

            G5MailErrorException error = Assert.Throws<G5MailErrorException>(() => _outlook.CreateTransport(OutlookAction.Send));

            Assert.Equal(ErrorIds.ConnectionFailed, error.ErrorId);
            Assert.Contains("administrator", error.Message);
        }

        [Fact]
        public void Not_Windows_is_MethodNotSupported_without_touching_COM()
        {
            _outlook.IsWindows = false;

            G5MailErrorException error = Assert.Throws<G5MailErrorException>(() => _outlook.CreateTransport(OutlookAction.Send));

            Assert.Equal(ErrorIds.MethodNotSupported, error.ErrorId);
            Assert.Contains("only on Windows", error.Message);
            Assert.Contains("-DraftDirectory", error.Message);
            Assert.Empty(_outlook.Calls);
        }

        [Fact]
        public void No_interactive_session_is_MethodNotSupported_pointing_to_server_methods()
        {
            _outlook.IsInteractiveSession = false;

            G5MailErrorException error = Assert.Throws<G5MailErrorException>(() => _outlook.CreateTransport(OutlookAction.Send));

            Assert.Equal(ErrorIds.MethodNotSupported, error.ErrorId);
            Assert.Contains("interactive", error.Message);
            Assert.Contains("Smtp or ExchangeOnline", error.Message);
            Assert.Empty(_outlook.Calls);
        }

        [Fact]
        public void On_this_computer_the_real_Outlook_method_is_MethodNotSupported()
        {
            if (OperatingSystem.IsWindows())
            {
                return; // There the answer depends on whether Outlook is installed: checked by hand on Windows.
            }

            G5MailErrorException error = Assert.Throws<G5MailErrorException>(() =>
                TransportFactory.Create(new SettingValues { Method = MailMethod.Outlook }, NullRunLog.Instance));

            Assert.Equal(ErrorIds.MethodNotSupported, error.ErrorId);
            Assert.Contains("only on Windows", error.Message);
        }

        [Fact]
        public void An_unresolved_recipient_stops_Send_but_not_Display()
        {
            _outlook.Unresolvable.Add("okand@example.se");

            SendResult sent = Assert.Single(Run(OutlookAction.Send, null, Doc("1001", "okand@example.se")));
            Assert.Equal(ErrorIds.InvalidAddress, sent.Exception!.ErrorId);
            Assert.Contains("okand@example.se", sent.Exception.Message);
            Assert.Equal("Discarded", _outlook.Items[0].Fate);

            SendResult shown = Assert.Single(Run(OutlookAction.Display, null, Doc("1002", "okand@example.se")));
            Assert.Equal(SendStatus.Draft, shown.Status);
            Assert.Contains(_log.Warnings, w => w.Contains("okand@example.se"));
        }

        [Fact]
        public void From_picks_the_matching_Outlook_account_and_warns_once_when_there_is_none()
        {
            Run(OutlookAction.Send, s => s.From = "Anna <ANNA.SVENSSON@example.se>", Doc("1001", "kund@example.se"));
            Assert.Equal("anna.svensson@example.se", _outlook.Items[0].Account);
            Assert.Empty(_log.Warnings);

            Run(OutlookAction.Send, s => s.From = "order@example.se", Doc("1002", "kund@example.se", index: 0), Doc("1003", "kund@example.se", index: 1));
            Assert.Null(_outlook.Items[1].Account);
            Assert.Single(_log.Warnings, w => w.Contains("order@example.se is not an account"));
        }

        [Fact]
        public void Without_From_Outlook_uses_its_default_account_and_CopyToSelf_adds_nobody()
        {
            Run(OutlookAction.Send, s => s.SendCopyToSelf = CopyToSelf.Bcc, Doc("1001", "kund@example.se"));

            RecordingMailItem item = Assert.Single(_outlook.Items);
            Assert.DoesNotContain(_outlook.Calls, c => c.StartsWith("SendUsingAccount", StringComparison.Ordinal));
            Assert.Single(item.Recipients);
        }

        [Fact]
        public void A_plain_text_profile_gets_plain_text_with_the_signature_below()
        {
            _outlook.NewItemBody = new OutlookBody(OutlookBodyFormat.Plain, "-- \r\nAnna Svensson");

            Run(OutlookAction.Send, null, Doc("1001", "kund@example.se"));

            RecordingMailItem item = Assert.Single(_outlook.Items);
            Assert.False(item.BodyIsHtml);
            Assert.Equal("Hej!\r\n\r\nBifogat finns dokument 1001 (1001.pdf).\r\n\r\n-- \r\nAnna Svensson", item.Body);
            Assert.Equal(item.Body!.Length + 1, item.Attachments[0].Position);
        }

        [Fact]
        public void Starting_Outlook_for_Send_warns_that_messages_may_wait_in_the_Outbox()
        {
            _outlook.Running = false;

            Run(OutlookAction.Send, null, Doc("1001", "kund@example.se"));

            Assert.Single(_log.Warnings, w => w.Contains("Outbox"));
        }

        [Fact]
        public void Cancelling_stops_before_the_item_is_created()
        {
            using OutlookTransport transport = _outlook.CreateTransport(OutlookAction.Send);
            var documents = DocumentCollector.Collect(new[] { Doc("1001", "kund@example.se") }, out _);
            PlannedMessage planned = MessagePlanner.Plan(documents, false, long.MaxValue).Single();
            OutgoingMessage message = MessageComposer.Compose(planned, new ComposeOptions { SenderOptional = true });
            using var cancelled = new CancellationTokenSource();
            cancelled.Cancel();

            Assert.ThrowsAny<OperationCanceledException>(() => transport.SendAsync(message, cancelled.Token).GetAwaiter().GetResult());
            Assert.Empty(_outlook.Items);
        }
    }
}
