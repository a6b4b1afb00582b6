# TeamSkills web app: built on the .NET SDK image, run on the ASP.NET runtime image as the non-root user "app".
# Used by docker-compose.yml (app1, app2). Every COPY source is checked to exist by ComposeFileTests.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src

# Restore layer: only what decides the package graph, so a code change does not re-download packages.
# The .sln is left out on purpose: restoring it would need the test projects, which the image does not build.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/TeamSkills.Core/TeamSkills.Core.csproj src/TeamSkills.Core/
COPY src/TeamSkills.Web/TeamSkills.Web.csproj src/TeamSkills.Web/
COPY reports/TeamSkills.Reports/TeamSkills.Reports.csproj reports/TeamSkills.Reports/
COPY migrations/TeamSkills.Migrations.Sqlite/TeamSkills.Migrations.Sqlite.csproj migrations/TeamSkills.Migrations.Sqlite/
COPY migrations/TeamSkills.Migrations.PostgreSql/TeamSkills.Migrations.PostgreSql.csproj migrations/TeamSkills.Migrations.PostgreSql/
COPY migrations/TeamSkills.Migrations.SqlServer/TeamSkills.Migrations.SqlServer.csproj migrations/TeamSkills.Migrations.SqlServer/
RUN dotnet restore src/TeamSkills.Web/TeamSkills.Web.csproj

# Sources; reports/templates comes along and the Web project copies it beside the binaries.
COPY src/ src/
COPY reports/ reports/
COPY migrations/ migrations/
RUN dotnet publish src/TeamSkills.Web -c Release -o /app --no-restore -p:UseAppHost=false

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS final
# curl only for the compose health check: the aspnet image has neither curl nor wget.
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/*
# A named volume mounted on /data starts as a copy of this folder, ownership included, so "app" can write to it.
RUN mkdir -p /data && chown "$APP_UID:$APP_UID" /data
WORKDIR /app
COPY --from=build /app ./
ENV TeamSkills__DataDirectory=/data
# glibc's per-thread malloc arenas kept native memory growing in the 10-minute soak (+8 MB/min); two arenas settled
# it (+1.4 MB/min, RSS ~300 MB). See README, Performance: soak.
ENV MALLOC_ARENA_MAX=2
USER $APP_UID
EXPOSE 8080
ENTRYPOINT ["dotnet", "TeamSkills.Web.dll"]
