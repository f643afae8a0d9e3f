using System;
using System.Diagnostics;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace G5Mail.Bench;

/// <summary>
/// The floor: what a competent hand-written MailKit loop does, in its own process (like G5Mail's pwsh): one
/// connection, STARTTLS + AUTH once, then a new MimeMessage with the PDF per recipient and Send. With
/// --connections N the messages are shared out over N such connections (the -ThrottleLimit experiment).
/// </summary>
public static class MailKitFloor
{
    public static int Run(Arguments arguments)
    {
        int port = arguments.Int("port");
        string thumbprint = arguments.Required("thumbprint");
        string user = arguments.Required("user");
        string password = Environment.GetEnvironmentVariable(Harness.PasswordVariable)
                          ?? throw new InvalidOperationException($"{Harness.PasswordVariable} is not set.");
        string pdf = arguments.Required("pdf");
        int count = arguments.Int("count");
        int connections = arguments.Int("connections", 1);
        bool noDelay = arguments.Flag("nodelay");
        bool async = arguments.Flag("async");

        int next = 0;
        TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        var workers = new Task[connections];
        for (int w = 0; w < connections; w++)
        {
            workers[w] = Task.Run(() =>
            {
                using var client = new SmtpClient
                {
                    ServerCertificateValidationCallback = (_, certificate, _, _) =>
                        certificate != null && string.Equals(certificate.GetCertHashString(), thumbprint, StringComparison.OrdinalIgnoreCase),
                    CheckCertificateRevocation = false,
                };
                if (noDelay)
                {
                    var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { NoDelay = true };
                    socket.Connect(System.Net.IPAddress.Loopback, port);
                    client.Connect(socket, "127.0.0.1", port, SecureSocketOptions.StartTls);
                }
                else
                {
                    client.Connect("127.0.0.1", port, SecureSocketOptions.StartTls);
                }

                client.Authenticate(user, password);
                int i;
                while ((i = Interlocked.Increment(ref next)) <= count)
                {
                    var message = new MimeMessage();
                    message.From.Add(MailboxAddress.Parse("floor@bench.test"));
                    message.To.Add(MailboxAddress.Parse($"r{i}@bench.test"));
                    message.Subject = $"Invoice {i}";
                    var body = new BodyBuilder { TextBody = $"Invoice {i} is attached." };
                    body.Attachments.Add(pdf);
                    message.Body = body.ToMessageBody();
                    if (async)
                    {
                        client.SendAsync(message).GetAwaiter().GetResult();
                    }
                    else
                    {
                        client.Send(message);
                    }
                }

                client.Disconnect(true);
            });
        }

        Task.WaitAll(workers);
        double cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{{\"elapsedMs\":{watch.Elapsed.TotalMilliseconds:0.0},\"cpuMs\":{cpuMs:0.0},\"sent\":{count}}}"));
        return 0;
    }
}
