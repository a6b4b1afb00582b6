using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace TeamSkills.Migrations.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class JobsAndTracking : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "coverage_snapshots",
                columns: table => new
                {
                    date = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    team_id = table.Column<int>(type: "INTEGER", nullable: false),
                    engineer_count = table.Column<int>(type: "INTEGER", nullable: false),
                    recommended_count = table.Column<int>(type: "INTEGER", nullable: false),
                    held_count = table.Column<int>(type: "INTEGER", nullable: false),
                    gap_count = table.Column<int>(type: "INTEGER", nullable: false),
                    expiring_soon_count = table.Column<int>(type: "INTEGER", nullable: false),
                    expired_count = table.Column<int>(type: "INTEGER", nullable: false),
                    unmapped_count = table.Column<int>(type: "INTEGER", nullable: false),
                    coverage_percent = table.Column<double>(type: "REAL", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_coverage_snapshots", x => new { x.date, x.team_id });
                });

            migrationBuilder.CreateTable(
                name: "digest_preferences",
                columns: table => new
                {
                    manager_email = table.Column<string>(type: "TEXT", maxLength: 320, nullable: false),
                    frequency = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_digest_preferences", x => x.manager_email);
                });

            migrationBuilder.CreateTable(
                name: "job_schedules",
                columns: table => new
                {
                    job_id = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    cron = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    time_zone = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    updated_by = table.Column<string>(type: "TEXT", maxLength: 320, nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_job_schedules", x => x.job_id);
                });

            migrationBuilder.CreateTable(
                name: "sent_messages",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    recipient = table.Column<string>(type: "TEXT", maxLength: 320, nullable: false),
                    kind = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    period = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    outcome = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    detail = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true),
                    sent_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_sent_messages", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "status_events",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    engineer_id = table.Column<int>(type: "INTEGER", nullable: false),
                    certification_id = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    expires_on = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    from_status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    to_status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    on_date = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    recorded_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_status_events", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_sent_messages_recipient_kind_period",
                table: "sent_messages",
                columns: new[] { "recipient", "kind", "period" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_status_events_engineer_id_certification_id_expires_on_to_status",
                table: "status_events",
                columns: new[] { "engineer_id", "certification_id", "expires_on", "to_status" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_status_events_on_date",
                table: "status_events",
                column: "on_date");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "coverage_snapshots");

            migrationBuilder.DropTable(
                name: "digest_preferences");

            migrationBuilder.DropTable(
                name: "job_schedules");

            migrationBuilder.DropTable(
                name: "sent_messages");

            migrationBuilder.DropTable(
                name: "status_events");
        }
    }
}
