using Microsoft.Extensions.Options;
using TeamSkills.Web.Features.Email;

// In the enclosing namespace so TeamSkillsApp (Features.Platform) calls builder.AddEmail() without a using line.
namespace TeamSkills.Web.Features;

public static class EmailSetup
{
    public static WebApplicationBuilder AddEmail(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<SmtpOptions>().BindConfiguration(SmtpOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SmtpOptions>, SmtpOptionsValidation>();
        services.AddOptions<EmailOptions>().BindConfiguration(EmailOptions.Section);
        services.AddSingleton<SmtpMailer>();
        services.AddSingleton<OutboxMailer>();
        // Host set: real delivery; otherwise the outbox folder. Decided from the bound options, so tests and
        // deployments switch with configuration alone.
        services.AddSingleton<IMailer>(sp => sp.GetRequiredService<IOptions<SmtpOptions>>().Value.Enabled
            ? sp.GetRequiredService<SmtpMailer>()
            : sp.GetRequiredService<OutboxMailer>());
        services.AddSingleton<EmailTemplates>();
        return builder;
    }
}
