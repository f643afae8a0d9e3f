using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace G5Mail.Core.Tests.Mailbox
{
    /// <summary>
    /// A minimal winmail.dat as Exchange and Outlook write it, byte by byte after [MS-OXTNEF] 2.1 (TNEF stream: signature
    /// 0x223E9F78, legacy key, then attributes: level, id = type &lt;&lt; 16 | tag, length, data, checksum = the sum of the data
    /// bytes mod 65536): attTnefVersion, attOemCodepage, attMessageClass, and per attachment attAttachRendData (which
    /// starts it), attAttachTitle (its name) and attAttachData (its bytes).
    /// </summary>
    internal static class Tnef
    {
        public static byte[] Build(params (string Name, byte[] Content)[] files)
        {
            using var stream = new MemoryStream();
            var w = new BinaryWriter(stream);
            w.Write(0x223E9F78u);
            w.Write((ushort)0x1234);
            Attribute(w, 1, 0x00089006, BitConverter.GetBytes(0x00010000));                    // attTnefVersion
            Attribute(w, 1, 0x00069007, new byte[] { 0xE4, 0x04, 0, 0, 0, 0, 0, 0 });          // attOemCodepage 1252
            Attribute(w, 1, 0x00078008, Encoding.ASCII.GetBytes("IPM.Microsoft Mail.Note\0")); // attMessageClass
            foreach (var (name, content) in files)
            {
                var rend = new byte[14];
                BitConverter.GetBytes((ushort)1).CopyTo(rend, 0);       // AttachType: file
                BitConverter.GetBytes(uint.MaxValue).CopyTo(rend, 2);   // AttachPosition
                Attribute(w, 2, 0x00069002, rend);                      // attAttachRendData
                Attribute(w, 2, 0x00018010, Encoding.Latin1.GetBytes(name + "\0")); // attAttachTitle
                Attribute(w, 2, 0x0006800F, content);                   // attAttachData
            }

            w.Flush();
            return stream.ToArray();
        }

        private static void Attribute(BinaryWriter w, byte level, uint id, byte[] data)
        {
            w.Write(level);
            w.Write(id);
            w.Write((uint)data.Length);
            w.Write(data);
            ushort sum = 0;
            foreach (byte b in data)
            {
                sum = unchecked((ushort)(sum + b));
            }

            w.Write(sum);
        }
    }
}
