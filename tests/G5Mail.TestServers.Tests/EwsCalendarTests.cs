using System;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using System.Xml.Linq;
using Xunit;

namespace G5Mail.TestServers.Tests;

/// <summary>
/// The EWS stand-in's calendar operations, spoken to in raw SOAP: what it stores, and what it refuses as Exchange does
/// (learn.microsoft.com/exchange/client-developer/web-service-reference: CreateItem, UpdateItem, GetItem, DeleteItem,
/// FindItem, CancelCalendarItem, ResponseCode).
/// </summary>
[Collection(EwsCollection.Name)]
public sealed class EwsCalendarStandInTests : IAsyncLifetime
{
    private const string Envelope = "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" " +
                                    "xmlns:t=\"http://schemas.microsoft.com/exchange/services/2006/types\" " +
                                    "xmlns:m=\"http://schemas.microsoft.com/exchange/services/2006/messages\">" +
                                    "<soap:Header><t:RequestServerVersion Version=\"Exchange2013\"/></soap:Header><soap:Body>{0}</soap:Body></soap:Envelope>";

    private const string SetId = "c67aab68-4eed-4a65-9af0-e81e7378ed02";
    private const string Uri = "<t:ExtendedFieldURI PropertySetId=\"" + SetId + "\" PropertyName=\"G5MailActivityId\" PropertyType=\"String\"/>";
    private static readonly XNamespace T = EwsNs.Types;

    private readonly EwsFixture _f;

    public EwsCalendarStandInTests(EwsFixture fixture) => _f = fixture;

    public Task InitializeAsync() => _f.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private static string Item(string activityId = "A-1", string start = "2027-04-15T12:30:00Z", string end = "2027-04-15T13:30:00Z",
        string zone = "W. Europe Standard Time", string attendees = "") =>
        "<t:CalendarItem><t:Subject>Säljmöte Åhléns</t:Subject><t:Body BodyType=\"Text\">Gå igenom</t:Body>" +
        "<t:ReminderIsSet>true</t:ReminderIsSet><t:ReminderMinutesBeforeStart>15</t:ReminderMinutesBeforeStart>" +
        $"<t:ExtendedProperty>{Uri}<t:Value>{activityId}</t:Value></t:ExtendedProperty>" +
        $"<t:Start>{start}</t:Start><t:End>{end}</t:End><t:IsAllDayEvent>false</t:IsAllDayEvent>" +
        "<t:LegacyFreeBusyStatus>Busy</t:LegacyFreeBusyStatus><t:Location>Växjö</t:Location>" + attendees +
        $"<t:StartTimeZone Id=\"{zone}\"/><t:EndTimeZone Id=\"{zone}\"/></t:CalendarItem>";

    private const string Attendees = "<t:RequiredAttendees><t:Attendee><t:Mailbox><t:EmailAddress>kund@ahlens.example</t:EmailAddress></t:Mailbox></t:Attendee></t:RequiredAttendees>";

    private static string Create(string item, string invitations = " SendMeetingInvitations=\"SendToNone\"") =>
        string.Format(Envelope, $"<m:CreateItem{invitations}><m:SavedItemFolderId><t:DistinguishedFolderId Id=\"calendar\"/></m:SavedItemFolderId>" +
                                $"<m:Items>{item}</m:Items></m:CreateItem>");

    private static string Find(string value, string traversal = " Traversal=\"Shallow\"") =>
        string.Format(Envelope, $"<m:FindItem{traversal}><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>" +
                                $"<m:Restriction><t:IsEqualTo>{Uri}<t:FieldURIOrConstant><t:Constant Value=\"{value}\"/></t:FieldURIOrConstant></t:IsEqualTo></m:Restriction>" +
                                "<m:ParentFolderIds><t:DistinguishedFolderId Id=\"calendar\"/></m:ParentFolderIds></m:FindItem>");

    private static string Update(string id, string? changeKey, string fields, string resolution = "AlwaysOverwrite",
        string invitations = " SendMeetingInvitationsOrCancellations=\"SendToNone\"") =>
        string.Format(Envelope, $"<m:UpdateItem ConflictResolution=\"{resolution}\"{invitations}><m:ItemChanges><t:ItemChange>" +
                                $"<t:ItemId Id=\"{id}\"{(changeKey is null ? "" : $" ChangeKey=\"{changeKey}\"")}/><t:Updates>{fields}</t:Updates>" +
                                "</t:ItemChange></m:ItemChanges></m:UpdateItem>");

    private static string SetLocation(string location) =>
        $"<t:SetItemField><t:FieldURI FieldURI=\"calendar:Location\"/><t:CalendarItem><t:Location>{location}</t:Location></t:CalendarItem></t:SetItemField>";

    private static string Get(string id) =>
        string.Format(Envelope, "<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI=\"calendar:IsMeeting\"/>" +
                                $"</t:AdditionalProperties></m:ItemShape><m:ItemIds><t:ItemId Id=\"{id}\"/></m:ItemIds></m:GetItem>");

    private static string Delete(string id, string cancellations = " SendMeetingCancellations=\"SendToNone\"") =>
        string.Format(Envelope, $"<m:DeleteItem DeleteType=\"MoveToDeletedItems\"{cancellations}><m:ItemIds><t:ItemId Id=\"{id}\"/></m:ItemIds></m:DeleteItem>");

    private async Task<(HttpStatusCode Status, XDocument Body)> PostAsync(string xml)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, _f.EwsUrl) { Content = new StringContent(xml, Encoding.UTF8, "text/xml") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes(EwsFixture.AnnaLogin + ":" + EwsFixture.AnnaPassword)));
        HttpResponseMessage response = await _f.Http.SendAsync(request);
        return (response.StatusCode, XDocument.Parse(await response.Content.ReadAsStringAsync()));
    }

    private static string? Code(XDocument body) => body.Descendants().FirstOrDefault(e => e.Name.LocalName == "ResponseCode")?.Value;

    private static (string Id, string ChangeKey) ItemId(XDocument body)
    {
        XElement id = body.Descendants(T + "ItemId").First();
        return ((string)id.Attribute("Id")!, (string)id.Attribute("ChangeKey")!);
    }

    private async Task<JsonArray> CalendarAsync() => JsonNode.Parse(await _f.Http.GetStringAsync(_f.BaseUrl + "/_test/ews/calendar"))!.AsArray();

    private async Task<JsonArray> MeetingMessagesAsync() => JsonNode.Parse(await _f.Http.GetStringAsync(_f.BaseUrl + "/_test/ews/meetingMessages"))!.AsArray();

    private async Task<(string Id, string ChangeKey)> CreatedAsync(string item, string invitations = " SendMeetingInvitations=\"SendToNone\"")
    {
        (HttpStatusCode status, XDocument body) = await PostAsync(Create(item, invitations));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("NoError", Code(body));
        return ItemId(body);
    }

    [Fact]
    public async Task CreateItem_stores_the_calendar_item_in_UTC_with_its_time_zone_and_extended_property_and_returns_Id_and_ChangeKey()
    {
        (string id, string changeKey) = await CreatedAsync(Item(attendees: Attendees));
        Assert.False(string.IsNullOrEmpty(changeKey));
        JsonNode stored = Assert.Single(await CalendarAsync())!;
        Assert.Equal(id, (string?)stored["id"]);
        Assert.Equal("calendar", (string?)stored["folder"]);
        Assert.Equal(EwsFixture.Anna, (string?)stored["mailbox"]);
        Assert.Equal("Säljmöte Åhléns", (string?)stored["subject"]);
        Assert.Equal("2027-04-15T12:30:00Z", (string?)stored["start"]);
        Assert.Equal("W. Europe Standard Time", (string?)stored["startTimeZone"]);
        Assert.Equal(15, (int?)stored["reminderMinutesBeforeStart"]);
        Assert.Equal("A-1", (string?)stored["extendedProperties"]![0]!["value"]);
        Assert.Equal(SetId, (string?)stored["extendedProperties"]![0]!["propertySetId"]);
        // A calendar item with attendees is a meeting; SendToNone sends no meeting request.
        Assert.True((bool?)stored["isMeeting"]);
        Assert.Empty(await MeetingMessagesAsync());
    }

    [Fact]
    public async Task SendToAllAndSaveCopy_sends_meeting_requests_to_the_attendees()
    {
        await CreatedAsync(Item(attendees: Attendees), " SendMeetingInvitations=\"SendToAllAndSaveCopy\"");
        JsonNode message = Assert.Single(await MeetingMessagesAsync())!;
        Assert.Equal("Request", (string?)message["kind"]);
        Assert.Equal("kund@ahlens.example", (string?)message["to"]![0]);
    }

    [Fact]
    public async Task A_calendar_item_without_SendMeetingInvitations_is_refused()
    {
        (_, XDocument body) = await PostAsync(Create(Item(), invitations: ""));
        Assert.Equal("ErrorSendMeetingInvitationsRequired", Code(body));
        Assert.Empty(await CalendarAsync());
    }

    [Fact]
    public async Task Calendar_children_out_of_schema_order_fail_schema_validation()
    {
        string item = Item().Replace("<t:Location>Växjö</t:Location>", "").Replace("<t:Subject>", "<t:Location>Växjö</t:Location><t:Subject>");
        (HttpStatusCode status, XDocument body) = await PostAsync(Create(item));
        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.Equal("ErrorSchemaValidation", Code(body));
        Assert.Equal(HttpStatusCode.InternalServerError, (await PostAsync(Create("<t:CalendarItem><t:Body>x</t:Body></t:CalendarItem>"))).Status);
        Assert.Equal(HttpStatusCode.InternalServerError, (await PostAsync(Create(Item(start: "15 april 2027")))).Status);
    }

    [Fact]
    public async Task An_unknown_time_zone_an_IANA_id_and_an_end_before_the_start_are_refused()
    {
        Assert.Equal("ErrorTimeZone", Code((await PostAsync(Create(Item(zone: "Europe/Stockholm")))).Body));
        Assert.Equal("ErrorTimeZone", Code((await PostAsync(Create(Item(zone: "Mars Standard Time")))).Body));
        Assert.Equal("ErrorCalendarEndDateIsEarlierThanStartDate", Code((await PostAsync(Create(Item(end: "2027-04-15T11:00:00Z")))).Body));
        Assert.Equal("NoError", Code((await PostAsync(Create(Item(zone: "UTC")))).Body));
    }

    [Fact]
    public async Task An_extended_property_with_a_tag_and_a_property_set_is_an_invalid_combination()
    {
        string bad = Item().Replace("PropertyName=\"G5MailActivityId\"", "PropertyName=\"G5MailActivityId\" PropertyTag=\"0x1035\"");
        Assert.Equal("ErrorInvalidExtendedProperty", Code((await PostAsync(Create(bad))).Body));
        string notGuid = Item().Replace(SetId, "not-a-guid");
        Assert.Equal("ErrorSchemaValidation", Code((await PostAsync(Create(notGuid))).Body));
    }

    [Fact]
    public async Task FindItem_with_IsEqualTo_on_the_extended_property_finds_exactly_the_activitys_item()
    {
        (string id, _) = await CreatedAsync(Item("A-1"));
        await CreatedAsync(Item("A-2"));
        (_, XDocument found) = await PostAsync(Find("A-1"));
        Assert.Equal("NoError", Code(found));
        Assert.Equal(id, Assert.Single(found.Descendants(T + "ItemId")).Attribute("Id")!.Value);
        Assert.Equal("1", found.Descendants().First(e => e.Name.LocalName == "RootFolder").Attribute("TotalItemsInView")!.Value);
        Assert.Empty((await PostAsync(Find("A-3"))).Body.Descendants(T + "ItemId"));
        Assert.Equal(HttpStatusCode.InternalServerError, (await PostAsync(Find("A-1", traversal: ""))).Status);
    }

    [Fact]
    public async Task FindItem_in_a_calendar_without_delegate_access_or_of_no_mailbox_is_refused()
    {
        string other = Find("A-1").Replace("<t:DistinguishedFolderId Id=\"calendar\"/>",
            "<t:DistinguishedFolderId Id=\"calendar\"><t:Mailbox><t:EmailAddress>locked@olbryggeriet.example</t:EmailAddress></t:Mailbox></t:DistinguishedFolderId>");
        Assert.Equal("ErrorAccessDenied", Code((await PostAsync(other)).Body));
        Assert.Equal("ErrorNonExistentMailbox", Code((await PostAsync(other.Replace("locked@", "nobody-here@"))).Body));
    }

    [Fact]
    public async Task UpdateItem_changes_one_property_and_gives_a_new_ChangeKey_each_time()
    {
        (string id, string first) = await CreatedAsync(Item());
        (_, XDocument one) = await PostAsync(Update(id, first, SetLocation("Lager")));
        Assert.Equal("NoError", Code(one));
        (string sameId, string second) = ItemId(one);
        Assert.Equal(id, sameId);
        Assert.NotEqual(first, second);
        (_, XDocument two) = await PostAsync(Update(id, second, SetLocation("Kontoret")));
        Assert.NotEqual(second, ItemId(two).ChangeKey);
        JsonNode stored = Assert.Single(await CalendarAsync())!;
        Assert.Equal("Kontoret", (string?)stored["location"]);
        Assert.Equal(3, (int?)stored["version"]);
        Assert.Equal("Säljmöte Åhléns", (string?)stored["subject"]);
    }

    [Fact]
    public async Task A_stale_ChangeKey_conflicts_under_NeverOverwrite_and_is_overwritten_under_AlwaysOverwrite()
    {
        (string id, string first) = await CreatedAsync(Item());
        await PostAsync(Update(id, first, SetLocation("Lager")));
        Assert.Equal("ErrorIrresolvableConflict", Code((await PostAsync(Update(id, first, SetLocation("X"), resolution: "NeverOverwrite"))).Body));
        Assert.Equal("NoError", Code((await PostAsync(Update(id, first, SetLocation("Y")))).Body));
        Assert.Equal("ErrorChangeKeyRequiredForWriteOperations", Code((await PostAsync(Update(id, null, SetLocation("Z"), resolution: "AutoResolve"))).Body));
        Assert.Equal("Y", (string?)Assert.Single(await CalendarAsync())!["location"]);
    }

    [Fact]
    public async Task UpdateItem_needs_SendMeetingInvitationsOrCancellations_ConflictResolution_and_one_property_per_SetItemField()
    {
        (string id, string key) = await CreatedAsync(Item());
        Assert.Equal("ErrorSendMeetingInvitationsOrCancellationsRequired", Code((await PostAsync(Update(id, key, SetLocation("X"), invitations: ""))).Body));
        Assert.Equal(HttpStatusCode.InternalServerError, (await PostAsync(Update(id, key, SetLocation("X")).Replace("ConflictResolution=\"AlwaysOverwrite\"", ""))).Status);
        string two = "<t:SetItemField><t:FieldURI FieldURI=\"calendar:Location\"/><t:CalendarItem><t:Subject>x</t:Subject><t:Location>y</t:Location></t:CalendarItem></t:SetItemField>";
        Assert.Equal("ErrorIncorrectUpdatePropertyCount", Code((await PostAsync(Update(id, key, two))).Body));
        Assert.Equal("Växjö", (string?)Assert.Single(await CalendarAsync())!["location"]);
    }

    [Fact]
    public async Task GetItem_answers_the_current_ChangeKey_and_unknown_or_malformed_ids_as_Exchange_does()
    {
        (string id, string key) = await CreatedAsync(Item(attendees: Attendees));
        (_, XDocument got) = await PostAsync(Get(id));
        Assert.Equal(key, ItemId(got).ChangeKey);
        Assert.Equal("true", got.Descendants(T + "IsMeeting").Single().Value);
        Assert.Equal("ErrorItemNotFound", Code((await PostAsync(Get(Convert.ToBase64String(Guid.NewGuid().ToByteArray())))).Body));
        Assert.Equal("ErrorInvalidIdMalformed", Code((await PostAsync(Get("not base64!"))).Body));
    }

    [Fact]
    public async Task DeleteItem_moves_the_item_to_Deleted_Items_and_its_old_id_is_not_found_any_more()
    {
        (string id, _) = await CreatedAsync(Item());
        Assert.Equal("ErrorSendMeetingCancellationsRequired", Code((await PostAsync(Delete(id, cancellations: ""))).Body));
        (_, XDocument deleted) = await PostAsync(Delete(id));
        Assert.Equal("NoError", Code(deleted));
        Assert.Equal("deleteditems", (string?)Assert.Single(await CalendarAsync())!["folder"]);
        Assert.Equal("ErrorItemNotFound", Code((await PostAsync(Get(id))).Body));
        Assert.Equal("ErrorItemNotFound", Code((await PostAsync(Delete(id))).Body));
        Assert.Empty((await PostAsync(Find("A-1"))).Body.Descendants(T + "ItemId"));
        Assert.Equal(HttpStatusCode.InternalServerError, (await PostAsync(Delete(id).Replace("DeleteType=\"MoveToDeletedItems\"", ""))).Status);
    }

    [Fact]
    public async Task CancelCalendarItem_sends_the_attendees_a_cancellation_and_removes_the_meeting_from_the_calendar()
    {
        (string id, string key) = await CreatedAsync(Item(attendees: Attendees));
        string cancel = string.Format(Envelope, "<m:CreateItem MessageDisposition=\"SendAndSaveCopy\"><m:Items><t:CancelCalendarItem>" +
                                                $"<t:ReferenceItemId Id=\"{id}\" ChangeKey=\"{key}\"/></t:CancelCalendarItem></m:Items></m:CreateItem>");
        Assert.Equal("NoError", Code((await PostAsync(cancel)).Body));
        JsonNode message = Assert.Single(await MeetingMessagesAsync())!;
        Assert.Equal("Cancellation", (string?)message["kind"]);
        JsonNode stored = Assert.Single(await CalendarAsync())!;
        Assert.Equal("deleteditems", (string?)stored["folder"]);
        Assert.True((bool?)stored["isCancelled"]);
        Assert.Equal("ErrorItemNotFound", Code((await PostAsync(cancel)).Body));
        Assert.Equal("ErrorMessageDispositionRequired", Code((await PostAsync(cancel.Replace(" MessageDisposition=\"SendAndSaveCopy\"", ""))).Body));
    }

    [Fact]
    public async Task An_injected_ErrorServerBusy_on_FindItem_is_a_fault_with_BackOffMilliseconds_and_nothing_else_changes()
    {
        await _f.FaultAsync(new { operation = "FindItem", responseCode = "ErrorServerBusy", backOffMilliseconds = 250, count = 1 });
        (HttpStatusCode status, XDocument body) = await PostAsync(Find("A-1"));
        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.Equal("ErrorServerBusy", Code(body));
        Assert.Equal("250", body.Descendants().Single(e => e.Name.LocalName == "Value" && (string?)e.Attribute("Name") == "BackOffMilliseconds").Value);
        Assert.Equal("NoError", Code((await PostAsync(Find("A-1"))).Body));
    }
}
