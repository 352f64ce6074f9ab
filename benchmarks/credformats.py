"""Provider token formats for the generated credential corpus (benchmarks/credentials.py).

Written from the providers' documented formats (prefix, alphabet, length, fixed
parts), independently of the rules' own examples, so the corpus measures the rules
instead of echoing them. One line per format:

    family | provider | variable | template | self

`template` is literal text with fields `{kind:n}` or `{kind:lo-hi}` (random characters
of one alphabet) and `{uuid}`; `self` is `y` when the value names its provider by
itself (a prefix or a URL) and `n` when only the variable around it does.
"""

from __future__ import annotations

import random
import re
import string
from dataclasses import dataclass

ALPHABETS = {
    "an": string.ascii_letters + string.digits,
    "lan": string.ascii_lowercase + string.digits,
    "uan": string.ascii_uppercase + string.digits,
    "al": string.ascii_letters,
    "low": string.ascii_lowercase,
    "hex": "0123456789abcdef",
    "HEX": "0123456789ABCDEF",
    "d": string.digits,
    "b64": string.ascii_letters + string.digits + "+/",
    "b64u": string.ascii_letters + string.digits + "_-",
    "b32": string.ascii_uppercase + "234567",
}

TABLE = """
chat|Slack bot|SLACK_BOT_TOKEN|xoxb-{d:12}-{d:13}-{an:24}|y
chat|Slack user|SLACK_USER_TOKEN|xoxp-{d:12}-{d:12}-{d:13}-{hex:32}|y
chat|Slack app|SLACK_APP_TOKEN|xapp-1-A{uan:10}-{d:13}-{hex:64}|y
chat|Slack webhook|SLACK_WEBHOOK_URL|https://hooks.slack.com/services/T{uan:10}/B{uan:10}/{an:24}|y
chat|Discord webhook|DISCORD_WEBHOOK|https://discord.com/api/webhooks/{d:18}/{b64u:68}|y
chat|Teams webhook|TEAMS_WEBHOOK_URL|https://acme.webhook.office.com/webhookb2/{uuid}@{uuid}/IncomingWebhook/{hex:32}/{uuid}|y
chat|Telegram bot|TELEGRAM_BOT_TOKEN|{d:10}:AA{b64u:33}|y
chat|Matrix|MATRIX_TOKEN|syt_{an:12}_{an:20}_{an:6}|y
chat|ClickUp|CLICKUP_TOKEN|pk_{d:8}_{uan:32}|y
chat|Dropbox short-lived|DROPBOX_TOKEN|sl.{b64u:138}|y
chat|Zapier hook|ZAPIER_HOOK|https://hooks.zapier.com/hooks/catch/{d:7}/{lan:6}/|y
chat|DingTalk robot|DINGTALK_URL|https://oapi.dingtalk.com/robot/send?access_token={hex:64}|y
chat|WeCom robot|WECOM_URL|https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={uuid}|y
chat|Feishu bot|FEISHU_HOOK|https://open.feishu.cn/open-apis/bot/v2/hook/{uuid}|y
chat|Frame.io|FRAMEIO_TOKEN|fio-u-{b64u:64}|y
chat|Harvest|HARVEST_TOKEN|{d:7}.pt.{b64u:86}|y
chat|Postman|POSTMAN_API_KEY|PMAK-{hex:24}-{hex:34}|y
chat|Linear|LINEAR_API_KEY|lin_api_{an:40}|y
chat|Notion|NOTION_TOKEN|ntn_{d:11}{an:35}|y
chat|Zoom|ZOOM_CLIENT_SECRET|{an:32}|n
chat|Zulip|ZULIP_API_KEY|{an:32}|n
chat|Mattermost|MATTERMOST_ACCESS_TOKEN|{lan:26}|n
chat|Asana|ASANA_PAT|2/{d:16}/{d:16}:{hex:32}|n
chat|Trello|TRELLO_TOKEN|ATTA{hex:64}{HEX:8}|n
chat|Webex|WEBEX_ACCESS_TOKEN|{an:64}_PF84_{uuid}|n
chat|Todoist|TODOIST_TOKEN|{hex:40}|n
chat|Smartsheet|SMARTSHEET_TOKEN|{an:37}|n
chat|Pushover|PUSHOVER_TOKEN|{lan:30}|n
chat|Gitter|GITTER_TOKEN|{hex:40}|n
chat|Chatwork|CHATWORK_TOKEN|{hex:32}|n
chat|Mastodon|MASTODON_TOKEN|{b64u:43}|n
chat|Toggl|TOGGL_API_TOKEN|{hex:32}|n
payments|Stripe live|STRIPE_SECRET_KEY|sk_live_{an:99}|y
payments|Stripe restricted|STRIPE_RK|rk_live_{an:99}|y
payments|Stripe webhook|STRIPE_WEBHOOK_SECRET|whsec_{an:32}|y
payments|Square|SQUARE_ACCESS_TOKEN|EAAA{b64u:60}|y
payments|Braintree|BRAINTREE_TOKEN|access_token$production${lan:16}${hex:32}|y
payments|Razorpay key id|RAZORPAY_KEY_ID|rzp_live_{an:14}|y
payments|Flutterwave|FLW_SECRET_KEY|FLWSECK-{hex:32}-X|y
payments|Plaid access|PLAID_ACCESS_TOKEN|access-production-{uuid}|y
payments|WooCommerce|WOO_CONSUMER_SECRET|cs_{hex:40}|y
payments|Paddle|PADDLE_API_KEY|pdl_live_apikey_{lan:26}_{an:22}_{an:3}|y
payments|Mercado Pago|MERCADOPAGO_ACCESS_TOKEN|APP_USR-{d:16}-{d:6}-{hex:32}-{d:9}|y
payments|Xendit|XENDIT_SECRET_KEY|xnd_production_{an:60}|y
payments|Midtrans|MIDTRANS_SERVER_KEY|Mid-server-{b64u:24}|y
payments|Shopify|SHOPIFY_ACCESS_TOKEN|shpat_{hex:32}|y
payments|Paystack|PAYSTACK_SECRET_KEY|sk_live_{hex:40}|n
payments|Razorpay secret|RAZORPAY_KEY_SECRET|{an:24}|n
payments|PayPal|PAYPAL_CLIENT_SECRET|{b64u:80}|n
payments|Adyen|ADYEN_API_KEY|AQE{an:30}+{an:20}/{an:30}={b64u:20}|n
payments|Mollie|MOLLIE_API_KEY|live_{an:30}|n
payments|GoCardless|GOCARDLESS_ACCESS_TOKEN|live_{b64u:40}|n
payments|Plaid secret|PLAID_SECRET|{hex:30}|n
payments|Coinbase|COINBASE_API_SECRET|{an:32}|n
payments|BigCommerce|BIGCOMMERCE_ACCESS_TOKEN|{lan:31}|n
payments|Checkout.com|CHECKOUT_SECRET_KEY|sk_sbox_{b32:26}|n
payments|Binance|BINANCE_API_SECRET|{an:64}|n
payments|Recurly|RECURLY_API_KEY|{an:32}|n
observability|Sentry user|SENTRY_AUTH_TOKEN|sntryu_{hex:64}|y
observability|New Relic user|NEW_RELIC_API_KEY|NRAK-{uan:27}|y
observability|Dynatrace|DT_API_TOKEN|dt0c01.{uan:24}.{uan:64}|y
observability|Axiom|AXIOM_TOKEN|xaat-{uuid}|y
observability|ConfigCat|CONFIGCAT_SDK_KEY|configcat-sdk-1/{b64u:22}/{b64u:22}|y
observability|Sumo Logic URL|SUMO_URL|https://endpoint1.collection.sumologic.com/receiver/v1/http/{b64u:80}==|y
observability|Datadog|DD_API_KEY|{hex:32}|n
observability|Honeycomb|HONEYCOMB_API_KEY|{an:22}|n
observability|Splunk HEC|SPLUNK_HEC_TOKEN|{uuid}|n
observability|Rollbar|ROLLBAR_ACCESS_TOKEN|{hex:32}|n
observability|Bugsnag|BUGSNAG_API_KEY|{hex:32}|n
observability|Opsgenie|OPSGENIE_API_KEY|{uuid}|n
observability|Logz.io|LOGZIO_TOKEN|{al:32}|n
observability|Better Stack|LOGTAIL_SOURCE_TOKEN|{an:24}|n
observability|Mezmo|LOGDNA_INGESTION_KEY|{hex:32}|n
observability|Airbrake|AIRBRAKE_PROJECT_KEY|{hex:32}|n
observability|LaunchDarkly|LAUNCHDARKLY_SDK_KEY|sdk-{uuid}|n
observability|Raygun|RAYGUN_API_KEY|{an:22}|n
observability|Cronitor|CRONITOR_API_KEY|{an:32}|n
observability|Checkly|CHECKLY_API_KEY|cu_{hex:32}|n
ai|OpenAI|OPENAI_API_KEY|sk-proj-{b64u:74}T3BlbkFJ{b64u:74}|y
ai|Anthropic|ANTHROPIC_API_KEY|sk-ant-api03-{b64u:93}AA|y
ai|Hugging Face|HF_TOKEN|hf_{al:34}|y
ai|Groq|GROQ_API_KEY|gsk_{an:52}|y
ai|Replicate|REPLICATE_API_TOKEN|r8_{an:37}|y
ai|Perplexity|PPLX_API_KEY|pplx-{an:48}|y
ai|LangSmith|LANGSMITH_API_KEY|lsv2_pt_{hex:32}_{hex:10}|y
ai|Together|TOGETHER_API_KEY|tgp_v1_{b64u:43}|y
ai|Tavily|TAVILY_API_KEY|tvly-{an:32}|y
ai|NVIDIA|NVIDIA_API_KEY|nvapi-{b64u:64}|y
ai|Langfuse|LANGFUSE_SECRET_KEY|sk-lf-{uuid}|y
ai|LlamaCloud|LLAMA_CLOUD_API_KEY|llx-{an:48}|y
ai|Jina|JINA_API_KEY|jina_{hex:32}{b64u:28}|y
ai|Cerebras|CEREBRAS_API_KEY|csk-{lan:48}|y
ai|Cohere|COHERE_API_KEY|{an:40}|n
ai|Mistral|MISTRAL_API_KEY|{an:32}|n
ai|DeepSeek|DEEPSEEK_API_KEY|sk-{hex:32}|n
ai|ElevenLabs|ELEVENLABS_API_KEY|sk_{hex:48}|n
ai|AssemblyAI|ASSEMBLYAI_API_KEY|{hex:32}|n
ai|Deepgram|DEEPGRAM_API_KEY|{hex:40}|n
ai|Stability|STABILITY_API_KEY|sk-{an:48}|n
ai|Weights & Biases|WANDB_API_KEY|{hex:40}|n
ai|Fireworks|FIREWORKS_API_KEY|fw_{an:24}|n
ai|Voyage|VOYAGE_API_KEY|pa-{b64u:43}|n
ai|Firecrawl|FIRECRAWL_API_KEY|fc-{hex:32}|n
ai|SerpApi|SERPAPI_API_KEY|{hex:64}|n
ai|Kaggle|KAGGLE_KEY|{hex:32}|n
ai|DeepL|DEEPL_AUTH_KEY|{uuid}:fx|n
messaging|SendGrid|SENDGRID_API_KEY|SG.{b64u:22}.{b64u:43}|y
messaging|Twilio API key|TWILIO_API_KEY|SK{hex:32}|y
messaging|Mailgun|MAILGUN_API_KEY|key-{hex:32}|y
messaging|Mailchimp|MAILCHIMP_API_KEY|{hex:32}-us{d:2}|y
messaging|Brevo|BREVO_API_KEY|xkeysib-{hex:64}-{an:16}|y
messaging|Resend|RESEND_API_KEY|re_{an:8}_{an:24}|y
messaging|MailerSend|MAILERSEND_API_KEY|mlsn.{hex:64}|y
messaging|Africa's Talking|AT_API_KEY|atsk_{hex:64}|y
messaging|PubNub|PUBNUB_SECRET_KEY|sec-c-{b64:48}|y
messaging|OneSignal|ONESIGNAL_REST_API_KEY|os_v2_app_{lan:113}|y
messaging|Postmark|POSTMARK_SERVER_TOKEN|{uuid}|n
messaging|Mandrill|MANDRILL_API_KEY|{b64u:22}|n
messaging|SparkPost|SPARKPOST_API_KEY|{hex:40}|n
messaging|Vonage|VONAGE_API_SECRET|{an:16}|n
messaging|Plivo|PLIVO_AUTH_TOKEN|{an:40}|n
messaging|MessageBird|MESSAGEBIRD_ACCESS_KEY|{an:25}|n
messaging|Pusher|PUSHER_APP_SECRET|{hex:20}|n
messaging|Ably|ABLY_API_KEY|{b64u:6}.{b64u:6}:{b64u:43}|n
messaging|Mailjet|MAILJET_SECRET_KEY|{hex:32}|n
messaging|Twilio auth|TWILIO_AUTH_TOKEN|{hex:32}|n
messaging|Sendbird|SENDBIRD_API_TOKEN|{hex:40}|n
marketing|HubSpot|HUBSPOT_ACCESS_TOKEN|pat-na1-{uuid}|y
marketing|Salesforce|SF_ACCESS_TOKEN|00D{an:15}!{an:20}.{b64u:76}|y
marketing|Segment public API|SEGMENT_API_TOKEN|sgp_{an:64}|y
marketing|PostHog personal|POSTHOG_PERSONAL_API_KEY|phx_{an:47}|y
marketing|Klaviyo|KLAVIYO_PRIVATE_KEY|pk_{hex:34}|y
marketing|Typeform|TYPEFORM_TOKEN|tfp_{b64u:44}_{b64u:14}|y
marketing|Zoho|ZOHO_REFRESH_TOKEN|1000.{hex:32}.{hex:32}|y
marketing|Branch|BRANCH_SECRET|secret_live_{an:32}|y
marketing|Contentful|CONTENTFUL_PAT|CFPAT-{b64u:43}|y
marketing|Intercom|INTERCOM_ACCESS_TOKEN|dG9rOj{b64:54}=|n
marketing|Zendesk|ZENDESK_API_TOKEN|{an:40}|n
marketing|Freshdesk|FRESHDESK_API_KEY|{an:20}|n
marketing|Mixpanel|MIXPANEL_API_SECRET|{hex:32}|n
marketing|Amplitude|AMPLITUDE_SECRET_KEY|{hex:32}|n
marketing|Braze|BRAZE_REST_API_KEY|{uuid}|n
marketing|Sanity|SANITY_API_TOKEN|sk{an:180}|n
marketing|Ghost|GHOST_ADMIN_API_KEY|{hex:24}:{hex:64}|n
marketing|Pipedrive|PIPEDRIVE_API_TOKEN|{hex:40}|n
marketing|ActiveCampaign|ACTIVECAMPAIGN_API_KEY|{hex:72}|n
marketing|Lokalise|LOKALISE_API_TOKEN|{hex:40}|n
marketing|Crowdin|CROWDIN_PERSONAL_TOKEN|{hex:80}|n
marketing|Storyblok|STORYBLOK_TOKEN|{an:22}tt|n
productivity|X bearer|TWITTER_BEARER_TOKEN|AAAAAAAAAAAAAAAAAAAAA{an:30}%3D{an:50}|y
productivity|Meta|FACEBOOK_ACCESS_TOKEN|EAAG{an:180}|y
productivity|Instagram|INSTAGRAM_TOKEN|IGQV{b64u:160}|y
productivity|Pinterest|PINTEREST_TOKEN|pina_{uan:96}|y
productivity|Cloudinary|CLOUDINARY_URL|cloudinary://{d:15}:{b64u:27}@acme|y
productivity|Riot|RIOT_API_KEY|RGAPI-{uuid}|y
productivity|Cal.com|CAL_API_KEY|cal_live_{hex:32}|y
productivity|Duffel|DUFFEL_TOKEN|duffel_live_{b64u:43}|y
productivity|Adobe|ADOBE_CLIENT_SECRET|p8e-{b64u:32}|y
productivity|ReadMe|README_API_KEY|rdme_{lan:70}|y
productivity|Apify|APIFY_TOKEN|apify_api_{an:36}|y
productivity|Mapbox|MAPBOX_SECRET_TOKEN|sk.eyJ1{b64u:60}.{b64u:22}|y
productivity|EasyPost|EASYPOST_API_KEY|EZAK{hex:54}|y
productivity|Shippo|SHIPPO_TOKEN|shippo_live_{hex:40}|y
productivity|Foursquare|FOURSQUARE_API_KEY|fsq3{b64:40}=|y
productivity|Spotify|SPOTIFY_CLIENT_SECRET|{hex:32}|n
productivity|Twitch|TWITCH_CLIENT_SECRET|{lan:30}|n
productivity|LinkedIn|LINKEDIN_CLIENT_SECRET|{an:16}|n
productivity|Reddit|REDDIT_CLIENT_SECRET|{b64u:30}|n
productivity|OpenWeatherMap|OPENWEATHERMAP_API_KEY|{hex:32}|n
productivity|Etherscan|ETHERSCAN_API_KEY|{uan:34}|n
productivity|Infura|INFURA_API_SECRET|{hex:32}|n
productivity|DocuSign|DOCUSIGN_CLIENT_SECRET|{uuid}|n
productivity|Vimeo|VIMEO_ACCESS_TOKEN|{hex:32}|n
productivity|Webflow|WEBFLOW_API_TOKEN|{hex:64}|n
productivity|CoinGecko|COINGECKO_API_KEY|CG-{an:25}|n
security|SonarQube|SONAR_TOKEN|squ_{hex:40}|y
security|Tailscale|TS_AUTHKEY|tskey-auth-{an:17}-{an:33}|y
security|MaxMind|MAXMIND_LICENSE_KEY|{an:6}_{an:29}_mmk|y
security|Snyk|SNYK_TOKEN|{uuid}|n
security|ngrok|NGROK_AUTHTOKEN|{an:27}_{an:22}|n
security|GitGuardian|GITGUARDIAN_API_KEY|{an:64}|n
security|Semgrep|SEMGREP_APP_TOKEN|{hex:64}|n
security|Shodan|SHODAN_API_KEY|{an:32}|n
security|VirusTotal|VIRUSTOTAL_API_KEY|{hex:64}|n
security|AbuseIPDB|ABUSEIPDB_API_KEY|{hex:80}|n
security|CrowdStrike|FALCON_CLIENT_SECRET|{an:40}|n
security|Tenable|TENABLE_SECRET_KEY|{hex:64}|n
platform|AWS key id|AWS_ACCESS_KEY_ID|AKIA{b32:16}|y
platform|GitHub classic|GITHUB_TOKEN|ghp_{an:36}|y
platform|GitHub fine-grained|GH_PAT|github_pat_{an:22}_{an:59}|y
platform|GitLab|GITLAB_TOKEN|glpat-{b64u:20}|y
platform|npm|NPM_TOKEN|npm_{an:36}|y
platform|PyPI|PYPI_TOKEN|pypi-AgEIcHlwaS5vcmc{b64u:120}|y
platform|Google API|GOOGLE_API_KEY|AIza{b64u:35}|y
platform|DigitalOcean|DIGITALOCEAN_TOKEN|dop_v1_{hex:64}|y
"""

_FIELD = re.compile(r"\{(uuid|[A-Za-z0-9]+):(\d+)(?:-(\d+))?\}|\{uuid\}")


@dataclass(frozen=True)
class Format:
    family: str
    provider: str
    variable: str
    template: str
    self_identifying: bool

    def make(self, rng: random.Random) -> str:
        """A fresh value of this format."""
        return _FIELD.sub(lambda m: _field(m, rng), self.template)

    def placeholder(self) -> str:
        """The same shape with every random field written as x (or 0 for digits)."""
        return _FIELD.sub(_placeholder_field, self.template)


def _field(match: re.Match[str], rng: random.Random) -> str:
    if match.group(0) == "{uuid}":
        return "-".join(_chars(rng, "hex", n) for n in (8, 4, 4, 4, 12))
    lo = int(match.group(2))
    hi = int(match.group(3) or lo)
    return _chars(rng, match.group(1), rng.randint(lo, hi))


def _chars(rng: random.Random, kind: str, n: int) -> str:
    return "".join(rng.choice(ALPHABETS[kind]) for _ in range(n))


def _placeholder_field(match: re.Match[str]) -> str:
    if match.group(0) == "{uuid}":
        return "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
    return ("0" if match.group(1) == "d" else "x") * int(match.group(2))


def formats() -> list[Format]:
    rows = [line.split("|") for line in TABLE.strip().splitlines()]
    return [Format(f, p, v, t, s == "y") for f, p, v, t, s in rows]
