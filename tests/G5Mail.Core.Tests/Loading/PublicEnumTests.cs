extern alias cmdlets;

using System;
using System.Linq;
using Xunit;

namespace G5Mail.Core.Tests.Loading
{
    /// <summary>
    /// The cmdlets' enums (G5Mail.dll, the default load context) mirror the engine's (private load context) and are
    /// mapped by name (EngineTypes.To): a value added to one side only would fail at run time, so both sides must list
    /// the same names with the same values, and every value must map both ways.
    /// </summary>
    public sealed class PublicEnumTests
    {
        public static TheoryData<Type, Type> Pairs => new TheoryData<Type, Type>
        {
            { typeof(cmdlets::G5Mail.MailMethod), typeof(global::G5Mail.Core.Settings.MailMethod) },
            { typeof(cmdlets::G5Mail.AuthenticationFlow), typeof(global::G5Mail.Core.Settings.AuthenticationFlow) },
            { typeof(cmdlets::G5Mail.CopyToSelf), typeof(global::G5Mail.Core.Settings.CopyToSelf) },
            { typeof(cmdlets::G5Mail.ExchangeOnlineProtocol), typeof(global::G5Mail.Core.Settings.ExchangeOnlineProtocol) },
            { typeof(cmdlets::G5Mail.SettingsScope), typeof(global::G5Mail.Core.Settings.SettingsScope) },
            { typeof(cmdlets::G5Mail.SettingSource), typeof(global::G5Mail.Core.Settings.SettingSource) },
            { typeof(cmdlets::G5Mail.FindingSeverity), typeof(global::G5Mail.Core.Diagnostics.FindingSeverity) },
        };

        [Theory]
        [MemberData(nameof(Pairs))]
        public void Cmdlet_enum_has_the_engine_enums_names_and_values(Type cmdlet, Type engine)
        {
            Assert.Equal(typeof(cmdlets::G5Mail.MailMethod).Assembly, cmdlet.Assembly);
            Assert.NotEqual(cmdlet.Assembly, engine.Assembly);
            Assert.Equal(
                Enum.GetNames(engine).Select(n => (n, Convert.ToInt64(Enum.Parse(engine, n)))),
                Enum.GetNames(cmdlet).Select(n => (n, Convert.ToInt64(Enum.Parse(cmdlet, n)))));
        }

        [Fact]
        public void Every_value_maps_both_ways_by_name()
        {
            foreach (global::G5Mail.Core.Settings.MailMethod value in Enum.GetValues(typeof(global::G5Mail.Core.Settings.MailMethod)))
            {
                cmdlets::G5Mail.MailMethod mapped = cmdlets::G5Mail.EngineTypes.To<cmdlets::G5Mail.MailMethod>(value);
                Assert.Equal(value.ToString(), mapped.ToString());
                Assert.Equal(value, cmdlets::G5Mail.EngineTypes.To<global::G5Mail.Core.Settings.MailMethod>(mapped));
            }
        }
    }
}
