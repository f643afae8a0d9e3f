using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Security;
using System.Security.Cryptography;
using System.Text;
using G5Mail.Core.Errors;
using G5Mail.Core.Files;

namespace G5Mail.Core.Settings
{
    /// <summary>A secret as stored in a settings file: the protection scheme and the protected bytes (base64).</summary>
    public sealed class ProtectedSecret
    {
        public ProtectedSecret(string scheme, string data)
        {
            Scheme = scheme;
            Data = data;
        }

        public string Scheme { get; }
        public string Data { get; }
    }

    /// <summary>
    /// Encrypts secrets for a settings file so that neither their bytes nor their base64 ever reach the disk.
    /// Windows: DPAPI (CurrentUser for the User scope, LocalMachine for System). Elsewhere: AES-256-CBC with
    /// HMAC-SHA256 over the ciphertext (encrypt-then-MAC; netstandard2.0 has no AesGcm) under a random 64-byte key in
    /// <c>settings.key</c> beside the settings file, owner-only (0600). Each ciphertext is bound to its scope and
    /// setting name, so a value moved to another setting or another file does not decrypt.
    /// </summary>
    public abstract class SecretProtector
    {
        public const string KeyFileName = "settings.key";

        protected SecretProtector(SettingsScope scope, string settingsFile)
        {
            Scope = scope;
            SettingsFile = settingsFile;
        }

        public SettingsScope Scope { get; }
        public string SettingsFile { get; }

        /// <summary>The scheme name written beside the protected data.</summary>
        public abstract string Scheme { get; }

        /// <summary>The protector of this platform for a scope's settings file.</summary>
        public static SecretProtector For(SettingsScope scope, string settingsFile) =>
            RuntimeInformation.IsOSPlatform(OSPlatform.Windows)
                ? new DpapiSecretProtector(scope, settingsFile)
                : new KeyFileSecretProtector(scope, settingsFile);

        public ProtectedSecret Protect(string settingName, SecureString secret)
        {
            byte[] plain = SecureBytes.ToUtf8(secret);
            try
            {
                return new ProtectedSecret(Scheme, Convert.ToBase64String(ProtectBytes(plain, Context(settingName))));
            }
            finally
            {
                Array.Clear(plain, 0, plain.Length);
            }
        }

        /// <summary>Decrypts a stored secret; throws SecretUnreadable naming the setting when that is not possible.</summary>
        public SecureString Unprotect(string settingName, ProtectedSecret stored)
        {
            if (!string.Equals(stored.Scheme, Scheme, StringComparison.Ordinal))
            {
                throw Unreadable(settingName, $"it was protected with '{stored.Scheme}', but this machine uses '{Scheme}' (the file comes from another platform)");
            }

            byte[] data;
            try
            {
                data = Convert.FromBase64String(stored.Data);
            }
            catch (FormatException)
            {
                throw Unreadable(settingName, "the stored value is damaged (not base64)");
            }

            byte[] plain = UnprotectBytes(settingName, data, Context(settingName));
            try
            {
                return SecureBytes.FromUtf8(plain);
            }
            finally
            {
                Array.Clear(plain, 0, plain.Length);
            }
        }

        protected abstract byte[] ProtectBytes(byte[] plain, byte[] context);

        /// <summary>Returns the plain bytes or throws via <see cref="Unreadable"/>.</summary>
        protected abstract byte[] UnprotectBytes(string settingName, byte[] data, byte[] context);

        protected G5MailErrorException Unreadable(string settingName, string reason, Exception? inner = null)
        {
            string scopeArg = Scope == SettingsScope.System ? "-Scope System " : "-Scope User ";
            string example = settingName == "Credential" ? "-Credential (Get-Credential)" : "-" + settingName + " (Read-Host -AsSecureString)";
            return new G5MailErrorException(ErrorIds.SecretUnreadable, ErrorKind.SecurityError,
                $"The {settingName} in '{SettingsFile}' cannot be decrypted: {reason}. The other settings still apply; "
                + $"set it again with Set-G5MailSetting {scopeArg}{example}.",
                settingName, inner);
        }

        private byte[] Context(string settingName) => Encoding.UTF8.GetBytes("G5Mail|" + Scope + "|" + settingName);
    }

    /// <summary>Windows Data Protection API: the secret decrypts only for this user (User scope) or on this machine (System).</summary>
    internal sealed class DpapiSecretProtector : SecretProtector
    {
        public DpapiSecretProtector(SettingsScope scope, string settingsFile)
            : base(scope, settingsFile)
        {
        }

        public override string Scheme => Scope == SettingsScope.System ? "dpapi-machine" : "dpapi-user";

        private DataProtectionScope DataScope =>
            Scope == SettingsScope.System ? DataProtectionScope.LocalMachine : DataProtectionScope.CurrentUser;

        protected override byte[] ProtectBytes(byte[] plain, byte[] context) => ProtectedData.Protect(plain, context, DataScope);

        protected override byte[] UnprotectBytes(string settingName, byte[] data, byte[] context)
        {
            try
            {
                return ProtectedData.Unprotect(data, context, DataScope);
            }
            catch (CryptographicException ex)
            {
                throw Unreadable(settingName,
                    Scope == SettingsScope.System
                        ? "it was protected on another machine, or the file was changed"
                        : "it was protected by another Windows user or on another machine, or the file was changed", ex);
            }
        }
    }

    /// <summary>
    /// AES-256-CBC + HMAC-SHA256 (encrypt-then-MAC) under a 64-byte key file beside the settings file.
    /// Stored bytes: version (1) | IV (16) | ciphertext | tag (32); the tag covers the context (scope and setting name),
    /// version, IV and ciphertext, and is checked in constant time before anything is decrypted.
    /// </summary>
    internal sealed class KeyFileSecretProtector : SecretProtector
    {
        private const byte Version = 1;
        private const int KeyLength = 64;
        private const int IvLength = 16;
        private const int TagLength = 32;

        public KeyFileSecretProtector(SettingsScope scope, string settingsFile)
            : base(scope, settingsFile)
        {
            KeyFile = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(settingsFile))!, KeyFileName);
        }

        public string KeyFile { get; }

        public override string Scheme => "aes256cbc-hmacsha256";

        protected override byte[] ProtectBytes(byte[] plain, byte[] context)
        {
            byte[] key = LoadOrCreateKey();
            try
            {
                byte[] iv = new byte[IvLength];
                using (var rng = RandomNumberGenerator.Create())
                {
                    rng.GetBytes(iv);
                }

                byte[] cipher;
                using (Aes aes = CreateAes(key, iv))
                using (ICryptoTransform encryptor = aes.CreateEncryptor())
                {
                    cipher = encryptor.TransformFinalBlock(plain, 0, plain.Length);
                }

                byte[] result = new byte[1 + IvLength + cipher.Length + TagLength];
                result[0] = Version;
                Buffer.BlockCopy(iv, 0, result, 1, IvLength);
                Buffer.BlockCopy(cipher, 0, result, 1 + IvLength, cipher.Length);
                byte[] tag = ComputeTag(key, context, result, result.Length - TagLength);
                Buffer.BlockCopy(tag, 0, result, result.Length - TagLength, TagLength);
                return result;
            }
            finally
            {
                Array.Clear(key, 0, key.Length);
            }
        }

        protected override byte[] UnprotectBytes(string settingName, byte[] data, byte[] context)
        {
            if (data.Length < 1 + IvLength + 16 + TagLength || data[0] != Version)
            {
                throw Unreadable(settingName, "the stored value is damaged or from an unknown version");
            }

            byte[] key = LoadKey(settingName);
            try
            {
                byte[] expected = ComputeTag(key, context, data, data.Length - TagLength);
                if (!FixedTimeEquals(expected, data, data.Length - TagLength))
                {
                    throw Unreadable(settingName,
                        $"its integrity check failed (the file was changed, the value was moved from another setting, or the key file '{KeyFile}' was replaced)");
                }

                byte[] iv = new byte[IvLength];
                Buffer.BlockCopy(data, 1, iv, 0, IvLength);
                using (Aes aes = CreateAes(key, iv))
                using (ICryptoTransform decryptor = aes.CreateDecryptor())
                {
                    try
                    {
                        return decryptor.TransformFinalBlock(data, 1 + IvLength, data.Length - 1 - IvLength - TagLength);
                    }
                    catch (CryptographicException ex)
                    {
                        throw Unreadable(settingName, "the stored value is damaged", ex);
                    }
                }
            }
            finally
            {
                Array.Clear(key, 0, key.Length);
            }
        }

        private byte[] LoadKey(string settingName)
        {
            try
            {
                byte[] key = File.ReadAllBytes(KeyFile);
                if (key.Length != KeyLength)
                {
                    Array.Clear(key, 0, key.Length);
                    throw Unreadable(settingName, $"the key file '{KeyFile}' is damaged (it must hold {KeyLength} bytes)");
                }

                return key;
            }
            catch (FileNotFoundException ex)
            {
                throw Unreadable(settingName, $"the key file '{KeyFile}' is missing", ex);
            }
            catch (DirectoryNotFoundException ex)
            {
                throw Unreadable(settingName, $"the key file '{KeyFile}' is missing", ex);
            }
            catch (UnauthorizedAccessException ex)
            {
                throw Unreadable(settingName, DeniedReason, ex);
            }
        }

        /// <summary>Why this account cannot read the key file, and for the System scope how it is let in.</summary>
        internal string DeniedReason => Scope == SettingsScope.System
            ? $"the key file '{KeyFile}' is readable only by its owner and the group '{FileProtection.SystemGroup}', and this account is in " +
              $"neither. To send with the System settings, an administrator adds it to the group (groupadd --system {FileProtection.SystemGroup} " +
              $"if it does not exist yet, then usermod -aG {FileProtection.SystemGroup} <account>, and a new login) and sets the System secrets " +
              "again if the key file was made before the group existed"
            : $"the key file '{KeyFile}' is readable by its owner only, and this account is not its owner";

        private byte[] LoadOrCreateKey()
        {
            if (!File.Exists(KeyFile))
            {
                byte[] fresh = new byte[KeyLength];
                using (var rng = RandomNumberGenerator.Create())
                {
                    rng.GetBytes(fresh);
                }

                try
                {
                    // Never replaces an existing key: that would make every stored secret unreadable.
                    if (AtomicFile.Write(KeyFile, fresh, overwrite: false, protection: FileProtection.For(Scope, secret: true)))
                    {
                        return fresh;
                    }
                }
                catch
                {
                    Array.Clear(fresh, 0, fresh.Length);
                    throw;
                }

                Array.Clear(fresh, 0, fresh.Length);
            }

            byte[] key = File.ReadAllBytes(KeyFile);
            if (key.Length != KeyLength)
            {
                Array.Clear(key, 0, key.Length);
                throw new G5MailErrorException(ErrorIds.SecretUnreadable, ErrorKind.InvalidData,
                    $"The key file '{KeyFile}' is damaged (it must hold {KeyLength} bytes). Delete it and set every secret of this scope again.",
                    KeyFile);
            }

            return key;
        }

        private static Aes CreateAes(byte[] key, byte[] iv)
        {
            Aes aes = Aes.Create();
            aes.Mode = CipherMode.CBC;
            aes.Padding = PaddingMode.PKCS7;
            byte[] encryptionKey = new byte[32];
            Buffer.BlockCopy(key, 0, encryptionKey, 0, 32);
            aes.Key = encryptionKey;
            aes.IV = iv;
            Array.Clear(encryptionKey, 0, encryptionKey.Length);
            return aes;
        }

        private static byte[] ComputeTag(byte[] key, byte[] context, byte[] data, int count)
        {
            byte[] macKey = new byte[32];
            Buffer.BlockCopy(key, 32, macKey, 0, 32);
            try
            {
                using (var hmac = new HMACSHA256(macKey))
                {
                    // Length-prefixed context, so (context, data) pairs cannot be re-split to collide.
                    byte[] length = BitConverter.GetBytes(context.Length);
                    hmac.TransformBlock(length, 0, length.Length, null, 0);
                    hmac.TransformBlock(context, 0, context.Length, null, 0);
                    hmac.TransformFinalBlock(data, 0, count);
                    return hmac.Hash!;
                }
            }
            finally
            {
                Array.Clear(macKey, 0, macKey.Length);
            }
        }

        private static bool FixedTimeEquals(byte[] expected, byte[] data, int offset)
        {
            int diff = 0;
            for (int i = 0; i < expected.Length; i++)
            {
                diff |= expected[i] ^ data[offset + i];
            }

            return diff == 0;
        }
    }

    /// <summary>SecureString to and from UTF-8 bytes without creating a managed string of the secret.</summary>
    internal static class SecureBytes
    {
        public static byte[] ToUtf8(SecureString secret)
        {
            IntPtr unmanaged = IntPtr.Zero;
            char[] chars = new char[secret.Length];
            try
            {
                unmanaged = Marshal.SecureStringToGlobalAllocUnicode(secret);
                Marshal.Copy(unmanaged, chars, 0, chars.Length);
                return Encoding.UTF8.GetBytes(chars);
            }
            finally
            {
                Array.Clear(chars, 0, chars.Length);
                if (unmanaged != IntPtr.Zero)
                {
                    Marshal.ZeroFreeGlobalAllocUnicode(unmanaged);
                }
            }
        }

        public static SecureString FromUtf8(byte[] bytes)
        {
            char[] chars = Encoding.UTF8.GetChars(bytes);
            try
            {
                var secret = new SecureString();
                foreach (char c in chars)
                {
                    secret.AppendChar(c);
                }

                secret.MakeReadOnly();
                return secret;
            }
            finally
            {
                Array.Clear(chars, 0, chars.Length);
            }
        }
    }
}
