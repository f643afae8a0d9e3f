using System.Net;

namespace G5Mail.Core.Security
{
    /// <summary>How an account name goes on the wire.</summary>
    public static class AccountNames
    {
        /// <summary>
        /// "DOMAIN\user" when the credential has a domain, else the user name. PSCredential.GetNetworkCredential splits
        /// "DOMAIN\user" into Domain and UserName, and a protocol that takes one user name (SASL PLAIN/LOGIN/SCRAM, the
        /// ROPC grant's username) would otherwise get the bare name: another account, or none, on a multi-domain server.
        /// </summary>
        public static string UserNameOf(NetworkCredential credential) =>
            string.IsNullOrEmpty(credential.Domain) ? credential.UserName : credential.Domain + "\\" + credential.UserName;
    }
}
