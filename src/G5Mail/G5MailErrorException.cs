using System;
using G5Mail.Core;
using G5Mail.Loading;

namespace G5Mail
{
    /// <summary>
    /// The exception of every G5Mail error record. It stands for the engine's G5MailException (or a MailKit/MSAL
    /// exception inside it), whose types live in G5Mail's private load context and so must not reach the session:
    /// same message, error id and target; the inner exceptions are BCL exceptions as they were, or instances of this
    /// type standing for engine and dependency ones (<see cref="OriginalType"/> names the type it stands for).
    /// </summary>
    public sealed class G5MailErrorException : Exception
    {
        public G5MailErrorException(string message, string? errorId, object? target, string originalType, Exception? inner)
            : base(message, inner)
        {
            ErrorId = errorId;
            Target = target;
            OriginalType = originalType;
        }

        /// <summary>The contract's stable error id (e.g. AuthenticationFailed); null for an inner exception from a dependency.</summary>
        public string? ErrorId { get; }

        /// <summary>What the error is about (a setting name, a file, a recipient), as the error record's TargetObject.</summary>
        public object? Target { get; }

        /// <summary>The full name of the engine or dependency exception type this one stands for, e.g. MailKit.Net.Smtp.SmtpCommandException.</summary>
        public string OriginalType { get; }

        /// <summary>
        /// The exception to put into an error record: BCL exceptions (whose inner exceptions are BCL too) as they are,
        /// anything whose type comes from G5Mail's engine or dependencies as a G5MailErrorException.
        /// </summary>
        internal static Exception From(Exception exception)
        {
            Exception? inner = exception.InnerException != null ? From(exception.InnerException) : null;
            if (!IsPrivate(exception.GetType()) && ReferenceEquals(inner, exception.InnerException))
            {
                return exception;
            }

            var engine = exception as G5MailException;
            return new G5MailErrorException(exception.Message, engine?.ErrorId, PublicTarget(engine?.Target), exception.GetType().FullName ?? exception.GetType().Name, inner);
        }

        /// <summary>True when the exception or one of its inner exceptions has a type of the engine or its dependencies.</summary>
        internal static bool InvolvesPrivateTypes(Exception exception)
        {
            for (Exception? e = exception; e != null; e = e.InnerException)
            {
                if (IsPrivate(e.GetType()))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>A target from the engine stays as it is unless its type is private too (then its text).</summary>
        internal static object? PublicTarget(object? target) =>
            target == null || !IsPrivate(target.GetType()) ? target : target.ToString();

        /// <summary>True for types of G5Mail.Core and of the assemblies G5Mail loads from its dependency folder.</summary>
        private static bool IsPrivate(Type type)
        {
            var assembly = type.Assembly;
            if (string.Equals(assembly.GetName().Name, "G5Mail.Core", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            DependencyFolder? folder = DependencyLoader.Folder;
            return folder != null && !assembly.IsDynamic && folder.Holds(assembly.Location);
        }
    }
}
